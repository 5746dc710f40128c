{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        incremental_predicates=[
            "ingested_at > " ~ arrival_watermark('ingested_at'),
        ],
    )
}}

{#
    One row per valid view event (deduplicated, validated), on the UTC date it started.
    Incremental: only staged records that arrived after the newest arrival already
    here (minus a lookback for files that landed out of order) are read; a late
    event lands on its own activity_date. Re-reading a record replaces it; the
    delete only looks at rows past the same watermark, so it never scans history.
#}

with

view_events as (

    select * from {{ ref('stg_landing__view_events') }}
    where
        record_status = 'clean'
    {%- if is_incremental() %}
            and ingested_at > {{ arrival_watermark('ingested_at') }}
        {%- endif %}

),

media as (

    select * from {{ ref('dim_media') }}

),

view_events_measured as (

    select
        view_events.*,
        {{ dbt.datediff('view_events.started_at', 'view_events.ended_at', 'millisecond') }}
        / 1000.0 as duration_seconds,
        media.duration_seconds as media_duration_seconds
    from view_events
    left join media
        on view_events.media_id = media.media_id

),

final as (

    select
        event_id,
        session_id,
        event_type,
        user_id,
        media_id,
        started_at as start_timestamp,
        ended_at as end_timestamp,
        cast(started_at as date) as activity_date,
        duration_seconds,
        position_start_seconds,
        position_end_seconds,
        platform,
        country_code as country,
        city,
        device_id,
        app_version,
        coalesce(
            event_type = 'playback'
            and position_end_seconds
            >= {{ var('engagement__completion_threshold') }} * media_duration_seconds,
            false
        ) as is_completed,
        {# The definition of "active" lives here, once: see docs block `def_active_user`. #}
        (
            event_type = 'playback'
            and duration_seconds >= {{ var('engagement__active_min_seconds') }}
        ) as is_qualifying_playback,
        startup_ms,
        rebuffer_count,
        rebuffer_ms,
        ingested_at,
        ingest_date,
        ingest_hour,
        file_name
    from view_events_measured

)

select * from final
