{#
    Read and type: one row per landed view-event line of the ingest batches, the
    declared text fields cast to their types. Nothing is filtered or judged here;
    a field that does not type becomes NULL and sets a has_invalid_* flag, so that
    stg_landing__view_events can reject it with a reason. A view: the batches are
    Parquet files already, and staging reads only the batches it has not loaded
    (the batch filter reaches the file list through DuckDB's hive-partition pruning).
#}

{%- set landed_fields = [
    'event_id', 'session_id', 'user_id', 'media_id', 'event_type', 'start_timestamp', 'end_timestamp',
    'position_start_seconds', 'position_end_seconds', 'platform', 'country', 'city', 'device_id',
    'app_version', 'startup_ms', 'rebuffer_count', 'rebuffer_ms', 'ingested_at',
] -%}
{%- set landed_fields_qualified = [] -%}
{%- for field in landed_fields %}{% do landed_fields_qualified.append('source.' ~ field) %}{% endfor -%}

with

source as (

    select * from {{ source('landing', 'view_events') }}

),

typed as (

    select
        source.ingest_batch_id,
        source.file_name,
        source.file_version,
        source.line_number,
        source.ingest_date,
        source.ingest_hour,
        source.read_error,
        source.raw_record,
        {# What a quarantine row shows: the line when it could not be read, else its fields as landed. #}
        coalesce(
            source.raw_record,
            {{ landed_fields_json(landed_fields_qualified) }}
        ) as landed_record,
        nullif(lower(trim(source.event_id)), '') as event_id,
        nullif(lower(trim(source.session_id)), '') as session_id,
        {{ parse_integer_text('source.user_id') }} as user_id,
        {{ parse_integer_text('source.media_id') }} as media_id,
        lower(trim(source.event_type)) as event_type,
        {{ parse_iso_timestamp_utc('source.start_timestamp') }} as started_at,
        {{ parse_iso_timestamp_utc('source.end_timestamp') }} as ended_at,
        {{ parse_integer_text('source.position_start_seconds', 'integer') }} as position_start_seconds,
        {{ parse_integer_text('source.position_end_seconds', 'integer') }} as position_end_seconds,
        lower(trim(source.platform)) as platform,
        upper(trim(source.country)) as country_code,
        trim(source.city) as city,
        source.device_id,
        source.app_version,
        {{ parse_integer_text('source.startup_ms', 'integer') }} as startup_ms,
        {{ parse_integer_text('source.rebuffer_count', 'integer') }} as rebuffer_count,
        {{ parse_integer_text('source.rebuffer_ms', 'integer') }} as rebuffer_ms,
        {{ parse_iso_timestamp_utc('source.ingested_at') }} as ingested_at,
        {# The text of every numeric field, kept only to tell "absent" from "not a number". #}
        source.user_id as user_id_text,
        source.media_id as media_id_text,
        source.position_start_seconds as position_start_seconds_text,
        source.position_end_seconds as position_end_seconds_text,
        source.startup_ms as startup_ms_text,
        source.rebuffer_count as rebuffer_count_text,
        source.rebuffer_ms as rebuffer_ms_text
    from source

),

final as (

    select
        ingest_batch_id,
        file_name,
        file_version,
        line_number,
        ingest_date,
        ingest_hour,
        read_error,
        raw_record,
        landed_record,
        event_id,
        session_id,
        user_id,
        media_id,
        event_type,
        started_at,
        ended_at,
        position_start_seconds,
        position_end_seconds,
        platform,
        country_code,
        city,
        device_id,
        app_version,
        startup_ms,
        rebuffer_count,
        rebuffer_ms,
        ingested_at,
        {# Ids must be positive integers; 104.7, 0, -5 and "abc" are not. #}
        (user_id_text is not null and coalesce(user_id, 0) <= 0)
        or (media_id_text is not null and coalesce(media_id, 0) <= 0) as has_invalid_id,
        {# Positions and QoE measures are counts: non-negative integers when present. #}
        (position_start_seconds_text is not null and coalesce(position_start_seconds, -1) < 0)
        or (position_end_seconds_text is not null and coalesce(position_end_seconds, -1) < 0)
        or (startup_ms_text is not null and coalesce(startup_ms, -1) < 0)
        or (rebuffer_count_text is not null and coalesce(rebuffer_count, -1) < 0)
        or (rebuffer_ms_text is not null and coalesce(rebuffer_ms, -1) < 0) as has_invalid_number
    from typed

)

select * from final
