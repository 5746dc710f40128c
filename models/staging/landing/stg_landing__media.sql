{# One row per title of the catalog; the newest catalog file wins for a title listed twice. #}

with

source as (

    select * from {{ source('landing', 'media') }}

),

media_typed as (

    {# Every field landed as text. #}
    select
        {{ parse_integer_text('media_id') }} as media_id,
        title,
        lower(trim(genre)) as genre,
        lower(trim(kind)) as media_kind,
        {{ parse_integer_text('series_id') }} as series_id,
        series_title,
        {{ parse_integer_text('season_number', 'integer') }} as season_number,
        {{ parse_integer_text('episode_number', 'integer') }} as episode_number,
        {{ parse_integer_text('duration_seconds', 'integer') }} as duration_seconds,
        try_cast(release_date as date) as release_date,
        try_cast(popularity as double) as popularity,
        ingest_batch_id,
        file_name,
        file_version
    from source

),

media_ranked as (

    select
        *,
        row_number() over (
            partition by media_id
            order by ingest_batch_id desc, file_name desc, file_version desc
        ) as recency_rank
    from media_typed
    where media_id is not null

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
        duration_seconds,
        release_date,
        popularity
    from media_ranked
    where recency_rank = 1

)

select * from final
