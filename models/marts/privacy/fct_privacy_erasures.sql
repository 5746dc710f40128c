{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        post_hook=[
            "{{ apply_recorded_erasures(ref('stg_landing__view_events'), ref('stg_landing__user_tombstones'),"
            ~ " erased_view_event_values()) }}",
            "{{ apply_recorded_erasures(ref('users_snapshot'), ref('stg_landing__user_tombstones')) }}",
        ],
    )
}}

{#
    The audit of the deletion path: one row per ingest batch in which deletion requests
    were recorded (stg_landing__user_tombstones.recorded_batch_id), with how many users
    and landed lines were erased, the activity days that held them and when. No user id,
    no personal data: the suppression list is the only place that names the users.
    Append-only and never rebuilt (full_refresh=false).

    The erasing itself: lines staged before the request become erased placeholders in
    stg_landing__view_events and the user's versions leave users_snapshot (this model's
    post-hooks); fct_view_events, fct_daily_activity, fct_daily_platform_activity and
    dim_daily_user_status delete the user before their next incremental step (pre-hooks);
    fct_active_user_fast recomputes every kept day from first_affected_date; the table
    marts are rebuilt from those on every run.
#}

{%- set last_recorded = last_ingest_batch('recorded_batch_id') %}

with

user_tombstones as (

    select * from {{ ref('stg_landing__user_tombstones') }}
    where recorded_batch_id > {{ last_recorded }}

),

view_events as (

    select * from {{ ref('stg_landing__view_events') }}

),

erased_lines as (

    select
        user_tombstones.recorded_batch_id,
        count(*) as staged_lines_erased,
        min(case when view_events.record_status = 'clean' then cast(view_events.started_at as date) end)
            as first_affected_date,
        max(case when view_events.record_status = 'clean' then cast(view_events.started_at as date) end)
            as last_affected_date
    from user_tombstones
    inner join view_events
        on user_tombstones.user_id = view_events.user_id
    group by 1

),

deletion_requests as (

    select
        recorded_batch_id,
        count(*) as users_erased,
        min(deletion_requested_at) as first_requested_at,
        max(deletion_requested_at) as last_requested_at
    from user_tombstones
    group by 1

),

final as (

    select
        deletion_requests.recorded_batch_id,
        deletion_requests.users_erased,
        coalesce(erased_lines.staged_lines_erased, 0) as staged_lines_erased,
        erased_lines.first_affected_date,
        erased_lines.last_affected_date,
        deletion_requests.first_requested_at,
        deletion_requests.last_requested_at,
        current_timestamp as erased_at,
        '{{ invocation_id }}' as dbt_invocation_id
    from deletion_requests
    left join erased_lines
        on deletion_requests.recorded_batch_id = erased_lines.recorded_batch_id

)

select * from final
