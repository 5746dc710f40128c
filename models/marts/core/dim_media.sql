{# One row per title in the catalog. #}

with

media as (

    select * from {{ ref('stg_landing__media') }}

),

final as (

    select
        media_id,
        title,
        genre,
        media_kind,
        series_id,
        series_title,
        season_number,
        episode_number,
        media_kind = 'episode' as is_episode,
        duration_seconds,
        release_date,
        popularity
    from media

)

select * from final
