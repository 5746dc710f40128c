{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'ingest_batch_id') }}",
        ],
    )
}}

-- depends_on: {{ ref('stg_landing__user_tombstones') }}

{#
    One row per valid view event (deduplicated, validated), on the UTC date it started.
    Incremental (append): every clean record of the ingest batches not loaded yet,
    whatever its timestamps, so a file that landed days out of order still gets in; a
    late event lands on its own activity_date. Staging decides once and for all which
    copy of an event is clean, so appending never doubles an event, and a rerun finds
    no new batch and appends nothing.
#}

{%- set last_batch = last_ingest_batch('ingest_batch_id') %}

with

view_events as (

    select * from {{ ref('stg_landing__view_events') }}
    where
        record_status = 'clean'
        and ingest_batch_id > {{ last_batch }}

),

media as (

    select * from {{ ref('dim_media') }}

),

view_events_measured as (

    select
        view_events.*,
        {# A double on every engine (1000.0 would make it a decimal on Spark). #}
        cast(
            {{ dbt.datediff('view_events.started_at', 'view_events.ended_at', 'millisecond') }}
            as double
        ) / 1000 as duration_seconds,
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
        file_name,
        ingest_batch_id
    from view_events_measured

)

select * from final
