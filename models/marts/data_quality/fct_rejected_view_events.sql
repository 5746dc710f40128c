-- depends_on: {{ ref('fct_privacy_erasures') }} (runs after the erasure of lines and snapshot versions)

{# Quarantine: one row per landed view-event line that was rejected, with its file, raw text and reason. #}

with

view_events as (

    select * from {{ ref('stg_landing__view_events') }}

),

final as (

    select
        record_id,
        file_name,
        ingest_date,
        ingest_hour,
        rejection_reason,
        event_id,
        user_id,
        event_type,
        platform,
        started_at,
        ended_at,
        ingested_at,
        raw_record
    from view_events
    where record_status = 'rejected'

)

select * from final
