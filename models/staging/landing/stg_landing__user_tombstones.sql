{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
    )
}}

{#
    The suppression list: one row per user who asked for their data to be deleted,
    kept for good (full_refresh=false, so neither a full refresh nor the expiry of
    the raw zone can bring a deleted user back). It holds the user id and when the
    request was made and recorded, nothing else about the person.

    recorded_batch_id is the newest ingest batch staged when the request was recorded
    (at least the request's own batch). Every model holding user-level rows erases
    the users recorded at or after its own watermark batch, so a model that runs
    less often than this one (stream mode) still erases every request once.
#}

{%- set last_batch = last_ingest_batch('request_ingest_batch_id') %}

with

user_changes as (

    select * from {{ ref('base_landing__users') }}
    where ingest_batch_id > {{ last_batch }}

),

view_event_batches as (

    {# Only the batch column: the batch filter prunes the Parquet files. #}
    select max(ingest_batch_id) as newest_batch_id
    from {{ ref('base_landing__view_events') }}
    where ingest_batch_id > {{ last_batch }}

),

deletion_requests as (

    select
        user_id,
        min(updated_at) as deletion_requested_at,
        min(ingest_batch_id) as request_ingest_batch_id
    from user_changes
    where
        is_deletion_request
        and user_id > 0
    group by 1

),

unrecorded_requests as (

    select deletion_requests.*
    from deletion_requests
    {% if is_incremental() -%}
        {#- A second request of a user already on the list changes nothing. -#}
        left join {{ this }} as recorded
            on deletion_requests.user_id = recorded.user_id
    where recorded.user_id is null
    {%- endif %}

),

final as (

    select
        unrecorded_requests.user_id,
        unrecorded_requests.deletion_requested_at,
        unrecorded_requests.request_ingest_batch_id,
        greatest(
            unrecorded_requests.request_ingest_batch_id,
            coalesce(view_event_batches.newest_batch_id, 0)
        ) as recorded_batch_id
    from unrecorded_requests
    cross join view_event_batches

)

select * from final
