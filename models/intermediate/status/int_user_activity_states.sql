{{
    config(
        materialized='incremental',
        incremental_strategy=upsert_strategy(),
        unique_key='user_id',
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'last_ingest_batch_id') }}",
        ],
    )
}}

-- depends_on: {{ ref('stg_landing__user_tombstones') }}

{#
    One row per user ever active: the compact, carried state that dim_daily_user_status
    derives its daily rows from (one pass over this table per day, never over history).

    activity_history_bitmask (HUGEINT; on Spark a 127-character '0'/'1' string, see
    bitmask_wide_type): bit k = active on last_activity_date - k, for
    k = 0..126. A daily row needs 60 bits (engagement__status_bitmask_days); the other 67
    let a run rebuild daily rows up to 67 days before the newest day (late events,
    catch-up runs). last_activity_before_history keeps the latest active day older than
    those 127 days, so last_activity_date is exact on every rebuilt day.

    Incremental: only users with active days from ingest batches the stored state has not
    seen are recomputed (delete+insert on user_id; merge on Spark with a table format):
    their history is shifted forward to their new last active day and the new days' bits
    are set. Activity only accumulates (a later copy of an event is a duplicate, a late
    event adds a view), so OR-ing the new days in equals recomputing the user from all
    history, which is what a full refresh does.

    The stored state is read from int_user_activity_states_previous (this table as it
    was when the run started), never from `this`: on plain Parquet the run overwrites the
    whole table (insert_overwrite; Spark cannot overwrite a table the query reads), so
    there the users without new activity are carried over from that copy. Either way a
    run reads the stored state once and the new batches' days, never the history.
#}

{%- set history_bits = 127 %}
{%- set stored_states_relation = ref('int_user_activity_states_previous') %}

with

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),
{%- if is_incremental() %}

stored_states as (

    select * from {{ stored_states_relation }}

),
{%- endif %}

new_active_days as (

    select
        user_id,
        activity_date,
        last_ingest_batch_id
    from daily_activity
    {# 0 on a full refresh: every batch (batch ids start at 1). The stored state's own
       watermark, so the days it has not folded in are new even if it is older than `this`. #}
    where is_active and last_ingest_batch_id > {{ last_ingest_batch(relation=stored_states_relation) }}

),

new_activity_by_user as (

    select
        user_id,
        min(activity_date) as first_new_activity_date,
        max(activity_date) as last_new_activity_date,
        max(last_ingest_batch_id) as last_ingest_batch_id
    from new_active_days
    group by 1

),

previous_states as (

    {%- if is_incremental() %}
    select previous.*
    from stored_states as previous
    inner join new_activity_by_user
        on previous.user_id = new_activity_by_user.user_id
    {%- else %}
    {# A full refresh starts from no state: every active day is new. #}
    select
        cast(null as bigint) as user_id,
        cast(null as date) as first_activity_date,
        cast(null as date) as last_activity_date,
        cast(null as {{ bitmask_wide_type() }}) as activity_history_bitmask,
        cast(null as date) as last_activity_before_history,
        cast(null as bigint) as last_ingest_batch_id
    where false
    {%- endif %}

),

users_carried_forward as (

    select
        new_activity.user_id,
        least(
            coalesce(previous.first_activity_date, new_activity.first_new_activity_date),
            new_activity.first_new_activity_date
        ) as first_activity_date,
        greatest(
            coalesce(previous.last_activity_date, new_activity.last_new_activity_date),
            new_activity.last_new_activity_date
        ) as last_activity_date,
        previous.last_activity_date as previous_last_activity_date,
        coalesce(previous.activity_history_bitmask, {{ bitmask_wide_empty() }}) as previous_history_bitmask,
        previous.last_activity_before_history as previous_last_activity_before_history,
        greatest(
            coalesce(previous.last_ingest_batch_id, new_activity.last_ingest_batch_id),
            new_activity.last_ingest_batch_id
        ) as last_ingest_batch_id
    from new_activity_by_user as new_activity
    left join previous_states as previous
        on new_activity.user_id = previous.user_id

),

new_days_aged as (

    select
        users_carried_forward.user_id,
        new_active_days.activity_date,
        {{ dbt.datediff('new_active_days.activity_date', 'users_carried_forward.last_activity_date', 'day') }}
            as days_before_last
    from users_carried_forward
    inner join new_active_days
        on users_carried_forward.user_id = new_active_days.user_id

),

new_days_folded as (

    {# The new days as bits relative to the user's (new) last active day; older ones only
       move last_activity_before_history. #}
    select
        user_id,
        {{ bitmask_wide_or_agg(bitmask_wide_day_bit('days_before_last')) }} as new_history_bitmask,
        max(case when days_before_last >= {{ history_bits }} then activity_date end)
            as new_last_activity_before_history
    from new_days_aged
    group by 1

),

history_shifts as (

    select
        user_id,
        previous_history_bitmask,
        coalesce(
            {{ dbt.datediff('previous_last_activity_date', 'last_activity_date', 'day') }}, 0
        ) as days_shifted
    from users_carried_forward

),

previous_history_shifted as (

    select
        user_id,
        {{ bitmask_wide_shift('previous_history_bitmask', 'days_shifted') }} as shifted_history_bitmask,
        {# The bits pushed past bit 126 by the shift; the lowest of them is the latest dropped day. #}
        case
            when days_shifted > 0
                then {{ bitmask_wide_shift_back(
                    'previous_history_bitmask', 'greatest(' ~ history_bits ~ ' - days_shifted, 0)'
                ) }}
            else {{ bitmask_wide_empty() }}
        end as dropped_history_bitmask,
        cast(greatest({{ history_bits }} - days_shifted, 0) as integer) as dropped_from_bit
    from history_shifts

),

changed_states as (

    select
        users_carried_forward.user_id,
        users_carried_forward.first_activity_date,
        users_carried_forward.last_activity_date,
        {{ bitmask_wide_or(
            'previous_history_shifted.shifted_history_bitmask', 'new_days_folded.new_history_bitmask'
        ) }} as activity_history_bitmask,
        greatest(
            users_carried_forward.previous_last_activity_before_history,
            new_days_folded.new_last_activity_before_history,
            case
                when not {{ bitmask_wide_is_empty('previous_history_shifted.dropped_history_bitmask') }}
                    then
                        users_carried_forward.previous_last_activity_date
                        - previous_history_shifted.dropped_from_bit
                        - {{ bitmask_wide_lowest_bit('previous_history_shifted.dropped_history_bitmask') }}
            end
        ) as last_activity_before_history,
        users_carried_forward.last_ingest_batch_id
    from users_carried_forward
    inner join new_days_folded
        on users_carried_forward.user_id = new_days_folded.user_id
    inner join previous_history_shifted
        on users_carried_forward.user_id = previous_history_shifted.user_id

),

{%- if is_incremental() and incremental_overwrites() %}

unchanged_states as (

    {# The run overwrites the whole table: the users without new activity, as stored. #}
    select
        stored_states.user_id,
        stored_states.first_activity_date,
        stored_states.last_activity_date,
        stored_states.activity_history_bitmask,
        stored_states.last_activity_before_history,
        stored_states.last_ingest_batch_id
    from stored_states
    left join new_activity_by_user
        on stored_states.user_id = new_activity_by_user.user_id
    where new_activity_by_user.user_id is null

),
{%- endif %}

final as (

    select * from changed_states
    {%- if is_incremental() and incremental_overwrites() %}
    union all
    select * from unchanged_states
    {%- endif %}

)

select * from final
