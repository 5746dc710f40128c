{{
    config(
        materialized='incremental',
        incremental_strategy='append',
    )
}}

{#
    One row per raw line landed under view_events/, whatever its quality.
    Every line ends in exactly one record_status: clean, duplicate or rejected
    (with a rejection_reason), so raw = clean + duplicate + rejected per file.

    Incremental: only files not loaded yet are read. Files are immutable and land
    atomically; the partition filter is a literal so DuckDB prunes the glob, and
    files that landed late in an already-seen hour are caught by the lookback
    plus the anti-join on file_name.
#}

{%- set max_span_hours = var('engagement__max_span_hours') -%}
{%- set skew_minutes = var('engagement__clock_skew_tolerance_minutes') -%}
{%- set late_limit_hours = var('engagement__late_arrival_limit_hours') -%}

{%- if is_incremental() -%}
    {%- set newest_partition = get_max_value(
        this, "ingest_date + to_hours(ingest_hour)", default=none
    ) -%}
    {%- if newest_partition is string -%}
        {%- set newest_partition = modules.datetime.datetime.fromisoformat(newest_partition) -%}
    {%- endif -%}
    {%- if newest_partition is not none -%}
        {%- set lookback = modules.datetime.timedelta(
            hours=var('engagement__arrival_lookback_hours')
        ) -%}
        {%- set first_date_to_scan = (newest_partition - lookback).date() -%}
        {# A redelivered copy arrives within the lateness limit of its original. #}
        {%- set first_date_for_dedupe = first_date_to_scan - modules.datetime.timedelta(
            hours=late_limit_hours + 24
        ) -%}
    {%- endif -%}
{%- endif %}

with

source as (

    select
        raw_record,
        regexp_extract(filename, 'view_events/.*$') as file_name,
        ingest_date,
        ingest_hour
    from {{ source('landing', 'view_events') }}
    {%- if is_incremental() and newest_partition is not none %}
        where ingest_date >= date '{{ first_date_to_scan }}'
    {%- endif %}

),

event_types as (

    select event_type from {{ ref('event_types') }}

),

platforms as (

    select platform from {{ ref('platforms') }}

),

{% if is_incremental() and newest_partition is not none -%}
new_files as (

    select source.*
    from source
    where not exists (
        select 1
        from {{ this }} as loaded
        where
            loaded.ingest_date >= date '{{ first_date_to_scan }}'
            and loaded.file_name = source.file_name
    )

),

{% else -%}
new_files as (

    select * from source

),

{% endif -%}

records_numbered as (

    select
        *,
        {# Identical lines in one file cannot be told apart; number them so each keeps a key. #}
        row_number() over (
            partition by file_name, raw_record order by file_name
        ) as occurrence_in_file,
        {# CASE, not AND: DuckDB evaluates both sides of AND, and json_type fails on bad JSON. #}
        case
            when json_valid(raw_record) then json_type(raw_record) = 'OBJECT'
            else false
        end as is_json_object
    from new_files

),

records_parsed as (

    select
        records_numbered.*,
        {# A NULL input (not a JSON object) parses to NULL instead of failing the batch. #}
        json_transform(
            case when is_json_object then raw_record end,
            '{
                    "event_id": "VARCHAR",
                    "session_id": "VARCHAR",
                    "user_id": "VARCHAR",
                    "media_id": "VARCHAR",
                    "event_type": "VARCHAR",
                    "start_timestamp": "VARCHAR",
                    "end_timestamp": "VARCHAR",
                    "position_start_seconds": "VARCHAR",
                    "position_end_seconds": "VARCHAR",
                    "platform": "VARCHAR",
                    "country": "VARCHAR",
                    "city": "VARCHAR",
                    "device_id": "VARCHAR",
                    "app_version": "VARCHAR",
                    "startup_ms": "VARCHAR",
                    "rebuffer_count": "VARCHAR",
                    "rebuffer_ms": "VARCHAR",
                "ingested_at": "VARCHAR"
            }'
        ) as fields
    from records_numbered

),

records_typed as (

    select
        {{ dbt.hash("file_name || '|' || cast(occurrence_in_file as varchar) || '|' || raw_record") }}
            as record_id,
        file_name,
        ingest_date,
        ingest_hour,
        raw_record,
        occurrence_in_file,
        is_json_object,
        lower(trim(fields.event_id)) as event_id,
        lower(trim(fields.session_id)) as session_id,
        try_cast(fields.user_id as bigint) as user_id,
        try_cast(fields.media_id as bigint) as media_id,
        lower(trim(fields.event_type)) as event_type,
        {{ parse_iso_timestamp_utc('fields.start_timestamp') }} as started_at,
        {{ parse_iso_timestamp_utc('fields.end_timestamp') }} as ended_at,
        try_cast(fields.position_start_seconds as integer) as position_start_seconds,
        try_cast(fields.position_end_seconds as integer) as position_end_seconds,
        lower(trim(fields.platform)) as platform,
        upper(trim(fields.country)) as country_code,
        trim(fields.city) as city,
        fields.device_id,
        fields.app_version,
        try_cast(fields.startup_ms as integer) as startup_ms,
        try_cast(fields.rebuffer_count as integer) as rebuffer_count,
        try_cast(fields.rebuffer_ms as integer) as rebuffer_ms,
        {{ parse_iso_timestamp_utc('fields.ingested_at') }} as ingested_at
    from records_parsed

),

records_checked as (

    select
        *,
        {# Checks made before deduplication: no key to dedupe on, or arrived too late to count
           at all (so a copy redelivered after the limit is rejected whatever the batch it lands in). #}
        case
            when not is_json_object then 'malformed'
            when event_id is null or event_id = '' then 'missing_key'
            when ingested_at is null then 'invalid_timestamp'
            when ingested_at > {{ dbt.dateadd('hour', late_limit_hours, 'started_at') }} then 'too_late'
        end as key_rejection_reason,
        {# Checks on the record kept after deduplication, first failing one wins. #}
        case
            when user_id is null or media_id is null then 'missing_key'
            when started_at is null or ended_at is null then 'invalid_timestamp'
            {# The accepted values are the seeds' rows (a lookup, never a join: no column is added). #}
            when event_type is null or event_type not in (select event_types.event_type from event_types)
                then 'unknown_event_type'
            when platform is null or platform not in (select platforms.platform from platforms)
                then 'unknown_platform'
            when ended_at < started_at then 'end_before_start'
            when ended_at > {{ dbt.dateadd('hour', max_span_hours, 'started_at') }} then 'over_24h'
            when started_at > {{ dbt.dateadd('minute', skew_minutes, 'ingested_at') }}
                then 'future_timestamp'
        end as content_rejection_reason
    from records_typed

),

records_ranked as (

    select
        records_checked.*,
        {# Keep the earliest arrival; ties broken by file then line, so reruns agree. #}
        case
            when key_rejection_reason is null
                then row_number() over (
                    partition by event_id, key_rejection_reason is null
                    order by ingested_at, file_name, raw_record, occurrence_in_file
                )
        end as arrival_rank
    from records_checked

),

{% if is_incremental() and newest_partition is not none -%}
already_loaded as (

    select distinct event_id
    from {{ this }}
    where
        ingest_date >= date '{{ first_date_for_dedupe }}'
        and record_status in ('clean', 'rejected')
        and event_id is not null
        {# Lines rejected before deduplication never claimed their event_id. #}
        and ingested_at is not null
        and coalesce(rejection_reason, '') <> 'too_late'

),

{% endif -%}

final as (

    select
        records_ranked.record_id,
        records_ranked.file_name,
        records_ranked.ingest_date,
        records_ranked.ingest_hour,
        case
            when records_ranked.key_rejection_reason is not null then 'rejected'
            when
                records_ranked.arrival_rank > 1
            {%- if is_incremental() and newest_partition is not none %}
                    or already_loaded.event_id is not null
                {%- endif %}
                then 'duplicate'
            when records_ranked.content_rejection_reason is not null then 'rejected'
            else 'clean'
        end as record_status,
        coalesce(
            records_ranked.key_rejection_reason,
            case
                when
                    records_ranked.arrival_rank = 1
                {%- if is_incremental() and newest_partition is not none %}
                        and already_loaded.event_id is null
                    {%- endif %}
                    then records_ranked.content_rejection_reason
            end
        ) as rejection_reason,
        records_ranked.event_id,
        records_ranked.session_id,
        records_ranked.user_id,
        records_ranked.media_id,
        records_ranked.event_type,
        records_ranked.started_at,
        records_ranked.ended_at,
        records_ranked.position_start_seconds,
        records_ranked.position_end_seconds,
        records_ranked.platform,
        records_ranked.country_code,
        records_ranked.city,
        records_ranked.device_id,
        records_ranked.app_version,
        records_ranked.startup_ms,
        records_ranked.rebuffer_count,
        records_ranked.rebuffer_ms,
        records_ranked.ingested_at,
        {# The raw line is kept only where someone will need to read it. #}
        case
            when
                records_ranked.key_rejection_reason is not null
                or records_ranked.content_rejection_reason is not null
                then records_ranked.raw_record
        end as raw_record
    from records_ranked
    {%- if is_incremental() and newest_partition is not none %}
        left join already_loaded
            on records_ranked.event_id = already_loaded.event_id
    {%- endif %}

)

select * from final
