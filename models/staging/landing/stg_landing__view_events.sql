{{
    config(
        materialized='incremental',
        incremental_strategy='append',
    )
}}

{#
    Validate and deduplicate: one row per landed view-event line, whatever its
    quality. Every line ends in exactly one record_status: clean, duplicate or
    rejected (with a rejection_reason), so landed = clean + duplicate + rejected per file.

    Incremental: a run reads the ingest batches it has not loaded (a literal batch
    filter: the ingest step's file manifest decided what is in them, whatever the
    records' timestamps). Deduplication is on event_id, earliest copy first
    (ingest batch, then ingested_at, file, version, line), against copies that arrived
    at most engagement__dedupe_window_days before (by arrival date): the same rule
    whether the copies came in one batch or in several, so an incremental run and a
    full refresh agree.
#}

{%- set max_span_hours = var('engagement__max_span_hours') -%}
{%- set skew_minutes = var('engagement__clock_skew_tolerance_minutes') -%}
{%- set late_limit_hours = var('engagement__late_arrival_limit_hours') -%}
{%- set arrival_tolerance_minutes = var('engagement__arrival_tolerance_minutes') -%}
{%- set window_days = var('engagement__dedupe_window_days') -%}
{%- if window_days * 24 < late_limit_hours + 24 -%}
    {{ exceptions.raise_compiler_error(
        "engagement__dedupe_window_days must cover the late-arrival limit plus a day, got " ~ window_days
    ) }}
{%- endif -%}

{%- set last_batch = last_ingest_batch('ingest_batch_id') -%}
{%- set first_new_date = none -%}
{%- if is_incremental() -%}
    {%- set first_new_date = get_aggregate_value(
        ref('base_landing__view_events'), 'min(ingest_date)', where='ingest_batch_id > ' ~ last_batch
    ) -%}
{%- endif %}

with

view_events as (

    select * from {{ ref('base_landing__view_events') }}
    where ingest_batch_id > {{ last_batch }}

),

event_types as (

    select event_type from {{ ref('event_types') }}

),

platforms as (

    select platform from {{ ref('platforms') }}

),

user_tombstones as (

    {# The suppression list (the one staging model staging reads): lines of a user who
       asked for deletion are kept only as erased placeholders, so files still reconcile. #}
    select user_id from {{ ref('stg_landing__user_tombstones') }}

),

records_checked as (

    select
        {{ dbt.hash(
            "file_name || '|' || cast(file_version as " ~ dbt.type_string() ~ ") || '|' || cast(line_number as "
            ~ dbt.type_string() ~ ")"
        ) }} as record_id,
        *,
        {# Checks made before deduplication: a line that cannot say which event it is, or when
           it arrived, cannot claim an event_id (so a copy arriving after the limit is rejected
           whatever the batch it lands in, and never counted as a duplicate). #}
        case
            when read_error is not null then read_error
            when event_id is null then 'missing_key'
            when ingested_at is null then 'invalid_timestamp'
            {# A record cannot have arrived after its file: an ingested_at from the future is
               refused here, so no timestamp inside a record ever moves a watermark. #}
            when ingested_at > {{ dbt.dateadd(
                'minute',
                '(ingest_hour + 1) * 60 + ' ~ arrival_tolerance_minutes,
                'cast(ingest_date as timestamp)'
            ) }} then 'ingested_after_arrival'
            {# Too late by the record's own ingested_at, or by when its file arrived: a copy of an
               old file landing days later keeps its old ingested_at, and would otherwise fall
               outside the dedupe window and count a second time. #}
            when
                ingested_at > {{ dbt.dateadd('hour', late_limit_hours, 'started_at') }}
                or {{ dbt.dateadd('hour', 'ingest_hour', 'cast(ingest_date as timestamp)') }}
                > {{ dbt.dateadd('hour', late_limit_hours, 'started_at') }}
                then 'too_late'
        end as key_rejection_reason,
        {# Checks on the first copy of an event, first failing one wins. #}
        case
            when user_id is null and media_id is null then 'missing_key'
            when has_invalid_id then 'invalid_key'
            when user_id is null or media_id is null then 'missing_key'
            when started_at is null or ended_at is null then 'invalid_timestamp'
            when has_invalid_number then 'invalid_number'
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
    from view_events

),

new_claims as (

    select
        record_id,
        {{ event_key('event_id') }} as event_key,
        event_id,
        ingest_batch_id,
        ingested_at,
        file_name,
        file_version,
        line_number,
        ingest_date,
        true as is_new
    from records_checked
    where key_rejection_reason is null

),

new_claim_keys as (

    select
        event_key,
        count(*) as copies
    from new_claims
    group by 1

),

{% if first_new_date is not none -%}
prior_claims as (

    {# Copies already staged that may be the earlier copy of a new one: claimers that arrived
       within the window before the earliest new arrival, and share a key with a new copy. #}
    select
        stored.record_id,
        stored.event_key,
        stored.event_id,
        stored.ingest_batch_id,
        stored.ingested_at,
        stored.file_name,
        stored.file_version,
        stored.line_number,
        stored.ingest_date,
        false as is_new
    from {{ this }} as stored
    inner join new_claim_keys
        on stored.event_key = new_claim_keys.event_key
    where
        stored.claims_event_id
        and stored.ingest_date >= {{ dbt.dateadd('day', -1 * window_days, "cast('" ~ first_new_date ~ "' as date)") }}

),

{% endif -%}

contested_claims as (

    {# Only event ids seen more than once need ordering: the rest are first copies. #}
    select new_claims.*
    from new_claims
    inner join new_claim_keys
        on new_claims.event_key = new_claim_keys.event_key
    where new_claim_keys.copies > 1
    {%- if first_new_date is not none %}
        or new_claims.event_key in (select prior_claims.event_key from prior_claims)
    union all
    select * from prior_claims
    {%- endif %}

),

contested_ordered as (

    select
        *,
        row_number() over (
            partition by event_key, event_id
            order by ingest_batch_id, ingested_at, file_name, file_version, line_number
        ) as copy_order
    from contested_claims

),

duplicates as (

    {# A copy is a duplicate when an earlier copy arrived at most the window before it. #}
    select distinct later.record_id
    from contested_ordered as later
    inner join contested_ordered as earlier
        on
            later.event_key = earlier.event_key
            and later.event_id = earlier.event_id
            and later.copy_order > earlier.copy_order
            and later.ingest_date <= {{ dbt.dateadd('day', window_days, 'earlier.ingest_date') }}
    where later.is_new

),

records_judged as (

    select
        records_checked.record_id,
        records_checked.ingest_batch_id,
        records_checked.file_name,
        records_checked.file_version,
        records_checked.line_number,
        records_checked.ingest_date,
        records_checked.ingest_hour,
        case
            when records_checked.key_rejection_reason is not null then 'rejected'
            when duplicates.record_id is not null then 'duplicate'
            when records_checked.content_rejection_reason is not null then 'rejected'
            else 'clean'
        end as record_status,
        coalesce(
            records_checked.key_rejection_reason,
            case when duplicates.record_id is null then records_checked.content_rejection_reason end
        ) as rejection_reason,
        records_checked.key_rejection_reason is null as claims_event_id,
        case
            when records_checked.key_rejection_reason is null then {{ event_key('records_checked.event_id') }}
        end as event_key,
        records_checked.event_id,
        records_checked.session_id,
        records_checked.user_id,
        records_checked.media_id,
        records_checked.event_type,
        records_checked.started_at,
        records_checked.ended_at,
        records_checked.position_start_seconds,
        records_checked.position_end_seconds,
        records_checked.platform,
        records_checked.country_code,
        records_checked.city,
        records_checked.device_id,
        records_checked.app_version,
        records_checked.startup_ms,
        records_checked.rebuffer_count,
        records_checked.rebuffer_ms,
        records_checked.ingested_at,
        {# The landed record is kept only where someone will need to read it. #}
        case
            when
                records_checked.key_rejection_reason is not null
                or (duplicates.record_id is null and records_checked.content_rejection_reason is not null)
                then records_checked.landed_record
        end as raw_record
    from records_checked
    left join duplicates
        on records_checked.record_id = duplicates.record_id

),

records_flagged as (

    select
        records_judged.*,
        user_tombstones.user_id is not null as is_erased
    from records_judged
    left join user_tombstones
        on records_judged.user_id = user_tombstones.user_id

),

final as (

    {# A tombstoned user's line keeps only where it came from; everything else is NULL. #}
    select
        {%- for column in erased_view_event_kept_columns() %}
        {{ column }},
        {%- endfor %}
        case when is_erased then 'erased' else record_status end as record_status,
        case when not is_erased then rejection_reason end as rejection_reason,
        claims_event_id and not is_erased as claims_event_id,
        {%- for column in erased_view_event_payload_columns() %}
        case when not is_erased then {{ column }} end as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from records_flagged

)

select * from final
