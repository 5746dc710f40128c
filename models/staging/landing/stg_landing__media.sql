{# One row per title of the catalog; the newest catalog file wins for a title listed twice. #}

with

source as (

    select * from {{ source('landing', 'media') }}

),

media_ranked as (

    select
        *,
        row_number() over (partition by media_id order by filename desc) as recency_rank
    from source
    where media_id is not null

),

final as (

    select
        media_id,
        title,
        lower(trim(genre)) as genre,
        lower(trim(kind)) as media_kind,
        series_id,
        series_title,
        season_number,
        episode_number,
        duration_seconds,
        release_date,
        popularity
    from media_ranked
    where recency_rank = 1

)

select * from final
