{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='activity_date',
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} where activity_date <= "
            ~ "(select max(activity_date) from {{ this }}) - "
            ~ var('engagement__status_history_days') ~ "{% endif %}",
        ],
    )
}}

{#
    One row per user and UTC day, from the user's first active day onward, keeping
    the last engagement__status_history_days days. A full refresh builds every day
    (so fct_active_user_fast's full refresh can recompute all its days from here;
    engagement__status_full_refresh_days limits it), and the next incremental run
    prunes to the kept days again.

    Cumulative: the state of day D is the state of day D-1 (an activity bitmask,
    bit k = active k days before D, plus first/last activity dates) shifted by one
    day and combined with day D's activity. A run rebuilds every day from the first
    day whose activity changed (late events included) to the newest day, starting
    from the stored state of the day before; it never rescans all history.
    When no stored state exists for that day (first run, full refresh), the state
    is bootstrapped from fct_daily_activity, which gives the same result.
#}

{%- set width = var('engagement__status_bitmask_days') -%}
{%- set full_refresh_days = var('engagement__status_full_refresh_days') -%}
{%- set wau_days = var('engagement__wau_window_days') -%}
{%- set mau_days = var('engagement__mau_window_days') -%}
{%- if width > 62 or width < [mau_days + 1, 29, wau_days + 1] | max -%}
    {{ exceptions.raise_compiler_error(
        "engagement__status_bitmask_days must be between max(mau window + 1, 29) and 62, got " ~ width
    ) }}
{%- endif %}

with

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

users as (

    select * from {{ ref('stg_landing__users') }}

),

activity_bounds as (

    select
        min(activity_date) as first_date,
        max(activity_date) as last_date
    from daily_activity

),

{% if is_incremental() -%}
stored_bounds as (

    select
        min(activity_date) as first_stored_date,
        max(activity_date) as last_stored_date
    from {{ this }}

),

changed_dates as (

    select min(activity_date) as first_changed_date
    from daily_activity
    where last_ingest_batch_id > {{ last_ingest_batch('activity_last_ingest_batch_id') }}

),

build_window as (

    select
        {# Rebuild from the first changed day, and never leave a gap after the last stored day. #}
        least(
            changed_dates.first_changed_date,
            stored_bounds.last_stored_date + 1,
            activity_bounds.last_date + 1
        ) as build_from,
        activity_bounds.last_date as build_until,
        stored_bounds.first_stored_date
    from changed_dates
    cross join stored_bounds
    cross join activity_bounds

),

stored_state as (

    {# The stored state of the day before the rebuild starts. #}
    select
        state.user_id,
        state.first_activity_date,
        state.last_activity_date,
        state.activity_bitmask
    from {{ this }} as state
    inner join build_window
        on state.activity_date = build_window.build_from - 1

),

{% else -%}
build_window as (

    {# A full refresh builds every day (or the last engagement__status_full_refresh_days);
       incremental runs then keep the last engagement__status_history_days. #}
    select
        {%- if full_refresh_days is none %}
        activity_bounds.first_date as build_from,
        {%- else %}
        greatest(
            activity_bounds.first_date,
            activity_bounds.last_date - {{ full_refresh_days - 1 }}
        ) as build_from,
        {%- endif %}
        activity_bounds.last_date as build_until,
        cast(null as date) as first_stored_date
    from activity_bounds

),

{% endif -%}

active_days as (

    select
        user_id,
        activity_date,
        last_ingested_at,
        last_ingest_batch_id
    from daily_activity
    where is_active

),

bootstrapped_state as (

    {# State of the day before build_from, derived from activity history;
       used only when no stored state covers that day. #}
    select
        active_days.user_id,
        min(active_days.activity_date) as first_activity_date,
        max(active_days.activity_date) as last_activity_date,
        cast(sum(
            case
                when active_days.activity_date >= build_window.build_from - {{ width }}
                    then {{ bitmask_day_bit('build_window.build_from - 1 - active_days.activity_date') }}
                else 0
            end
        ) as bigint) as activity_bitmask
    from active_days
    inner join build_window
        on
            active_days.activity_date < build_window.build_from
            and (
                build_window.first_stored_date is null
                or build_window.build_from - 1 < build_window.first_stored_date
            )
    group by 1

),

previous_state as (

    select * from bootstrapped_state
    {%- if is_incremental() %}
        union all
        select * from stored_state
    {%- endif %}

),

active_days_in_window as (

    select active_days.*
    from active_days
    inner join build_window
        on active_days.activity_date between build_window.build_from and build_window.build_until

),

first_activity_in_window as (

    select
        user_id,
        min(activity_date) as first_activity_date
    from active_days_in_window
    group by 1

),

users_in_window as (

    select
        coalesce(previous_state.user_id, new_activity.user_id) as user_id,
        coalesce(previous_state.first_activity_date, new_activity.first_activity_date)
            as first_activity_date,
        previous_state.last_activity_date as previous_last_activity_date,
        coalesce(previous_state.activity_bitmask, cast(0 as bigint)) as previous_activity_bitmask
    from previous_state
    full outer join first_activity_in_window as new_activity
        on previous_state.user_id = new_activity.user_id

),

day_offsets as (

    {# dbt's cross-engine series: at most 4096 days (~11 years) are built in one run. #}
    {{ dbt.generate_series(4096) }}

),

days_in_window as (

    select build_window.build_from + cast(day_offset.generated_number - 1 as integer) as activity_date
    from build_window
    inner join day_offsets as day_offset
        on
            build_window.build_from + cast(day_offset.generated_number - 1 as integer)
            <= build_window.build_until

),

user_days as (

    select
        users_in_window.user_id,
        days_in_window.activity_date,
        users_in_window.first_activity_date,
        users_in_window.previous_last_activity_date,
        users_in_window.previous_activity_bitmask,
        days_in_window.activity_date - build_window.build_from + 1 as days_since_previous_state
    from users_in_window
    cross join build_window
    inner join days_in_window
        on users_in_window.first_activity_date <= days_in_window.activity_date

),

recent_activity_bits as (

    {# Bits for activity inside the build window; older bits come from the previous state. #}
    select
        user_days.user_id,
        user_days.activity_date,
        cast(sum(
            {{ bitmask_day_bit('user_days.activity_date - active_days_in_window.activity_date') }}
        ) as bigint) as recent_bitmask,
        max(active_days_in_window.activity_date) as recent_last_activity_date,
        max(
            case
                when active_days_in_window.activity_date = user_days.activity_date
                    then active_days_in_window.last_ingested_at
            end
        ) as activity_last_ingested_at,
        max(
            case
                when active_days_in_window.activity_date = user_days.activity_date
                    then active_days_in_window.last_ingest_batch_id
            end
        ) as activity_last_ingest_batch_id
    from user_days
    inner join active_days_in_window
        on
            user_days.user_id = active_days_in_window.user_id
            and user_days.activity_date >= active_days_in_window.activity_date
            and active_days_in_window.activity_date > user_days.activity_date - {{ width }}
    group by 1, 2

),

last_activity_in_window as (

    {# Latest active day up to D inside the window, even when older than the bitmask reaches. #}
    select
        user_days.user_id,
        user_days.activity_date,
        max(
            case
                when active_days_in_window.user_id is not null
                    then user_days.activity_date
            end
        ) over (
            partition by user_days.user_id
            order by user_days.activity_date
            rows between unbounded preceding and current row
        ) as last_activity_date_in_window
    from user_days
    left join active_days_in_window
        on
            user_days.user_id = active_days_in_window.user_id
            and user_days.activity_date = active_days_in_window.activity_date

),

user_days_with_state as (

    select
        user_days.user_id,
        user_days.activity_date,
        user_days.first_activity_date,
        coalesce(
            last_activity_in_window.last_activity_date_in_window,
            user_days.previous_last_activity_date
        ) as last_activity_date,
        {{ bitmask_shift('user_days.previous_activity_bitmask', 'user_days.days_since_previous_state') }}
        | coalesce(recent_activity_bits.recent_bitmask, cast(0 as bigint)) as activity_bitmask,
        recent_activity_bits.activity_last_ingested_at,
        recent_activity_bits.activity_last_ingest_batch_id
    from user_days
    left join recent_activity_bits
        on
            user_days.user_id = recent_activity_bits.user_id
            and user_days.activity_date = recent_activity_bits.activity_date
    left join last_activity_in_window
        on
            user_days.user_id = last_activity_in_window.user_id
            and user_days.activity_date = last_activity_in_window.activity_date

),

final as (

    select
        user_days_with_state.user_id,
        user_days_with_state.activity_date,
        {{ classify_activity_status_from_bitmask(
            'user_days_with_state.activity_bitmask',
            'user_days_with_state.first_activity_date',
            'user_days_with_state.activity_date',
            1
        ) }} as daily_status,
        {{ classify_activity_status_from_bitmask(
            'user_days_with_state.activity_bitmask',
            'user_days_with_state.first_activity_date',
            'user_days_with_state.activity_date',
            wau_days
        ) }} as weekly_status,
        {{ bitmask_any_day('user_days_with_state.activity_bitmask', 1) }} as is_active,
        {{ bitmask_any_day('user_days_with_state.activity_bitmask', 1, 1) }}
            as was_active_previous_day,
        {{ bitmask_any_day('user_days_with_state.activity_bitmask', wau_days) }}
            as is_weekly_active,
        {{ bitmask_any_day('user_days_with_state.activity_bitmask', mau_days) }}
            as is_monthly_active,
        {{ bitmask_count_days('user_days_with_state.activity_bitmask', 7) }} as days_active_l7,
        {{ bitmask_count_days('user_days_with_state.activity_bitmask', 28) }} as days_active_l28,
        user_days_with_state.activity_bitmask,
        user_days_with_state.first_activity_date,
        user_days_with_state.last_activity_date,
        users.sign_up_date as signup_date,
        users.age,
        user_days_with_state.activity_last_ingested_at,
        user_days_with_state.activity_last_ingest_batch_id
    from user_days_with_state
    left join users
        on user_days_with_state.user_id = users.user_id

)

select * from final
