{{
    config(
        materialized='incremental',
        incremental_strategy=rebuilt_days_strategy(),
        partition_by=date_partition('activity_date'),
        post_hook=["{{ prune_to_status_history() }}"],
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'activity_last_ingest_batch_id') }}",
            "{% if is_incremental() and not incremental_overwrites() %}{{ status_delete_rebuilt_rows() }}{% endif %}",
        ],
    )
}}

-- depends_on: {{ ref('stg_landing__user_tombstones') }}
-- depends_on: {{ ref('int_user_activity_states') }}

{#
    One row per user and UTC day, from the user's first active day onward, keeping
    the last engagement__status_history_days days. Column names and meaning are what
    the BI tools read; how the rows are made differs by run:

    Incremental (every daily run): the rows are derived from int_user_activity_states,
    the compact state (one row per user, 127 days of activity as a bitmask anchored at
    the user's last active day). A run builds, in one pass over that state,
      * every user's row for each day after the newest stored day, and
      * the rows of the users with new active days (late events included) from the
        first changed day to the newest stored day;
    the pre-hook deletes exactly those rows first (status_delete_rebuilt_rows) and the
    post-hook prunes to the kept days. Every bound is a compile-time literal
    (status_rebuild_window), so DuckDB prunes by zone map; no day outside the window
    and no user without new activity is read from this table. On plain Parquet (Spark
    without a table format: no DELETE) every user's row is built on every day of the
    window and those activity_date partitions are overwritten (insert_overwrite); days
    before the window keep their files, and nothing is pruned.

    Full refresh: every day (engagement__status_full_refresh_days limits it) is built
    cumulatively from fct_daily_activity: the state of day D is the state of day D-1
    shifted by one day and combined with day D's activity. fct_active_user_fast's full
    refresh needs those days. The end-to-end test proves both ways give the same rows.
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

{%- if is_incremental() %}
{%- set window = status_rebuild_window() %}
{%- if window is not none %}
    {#- Dates as date objects whether they come from a query or from a unit test's override. -#}
    {%- set days_to_build = (
        modules.datetime.date.fromisoformat(window.build_until | string)
        - modules.datetime.date.fromisoformat(window.rebuild_from | string)
    ).days + 1 %}
{%- endif %}
{%- if window is not none and days_to_build - 1 > 127 - width %}
    {{ exceptions.raise_compiler_error(
        "dim_daily_user_status: this run would rebuild " ~ window.rebuild_from ~ ".." ~ window.build_until
        ~ ", more than " ~ (127 - width) ~ " days, which the carried state (127 days) cannot derive."
        ~ " Rebuild: dbt build --full-refresh --select int_user_activity_states+"
    ) }}
{%- endif %}

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

users as (

    select * from {{ ref('stg_landing__users') }}

),

user_states as (

    select * from {{ ref('int_user_activity_states') }}

),

{% if window is none -%}
user_days_with_state as (

    {# Nothing new: no rows to build. #}
    select
        cast(null as bigint) as user_id,
        cast(null as date) as activity_date,
        cast(null as date) as first_activity_date,
        cast(null as date) as last_activity_date,
        cast(null as bigint) as activity_bitmask,
        cast(null as timestamp) as activity_last_ingested_at,
        cast(null as integer) as activity_last_ingest_batch_id
    where false

),
{%- else %}
{%- if not incremental_overwrites() %}
changed_users as (

    select distinct user_id
    from daily_activity
    where is_active and last_ingest_batch_id > {{ window.watermark }}

),
{%- endif %}

day_offsets as (

    {{ dbt.generate_series(days_to_build) }}

),

days_to_build as (

    select date '{{ window.rebuild_from }}' + cast(generated_number - 1 as integer) as activity_date
    from day_offsets

),

active_days_in_window as (

    select
        user_id,
        activity_date,
        last_ingested_at,
        last_ingest_batch_id
    from daily_activity
    where is_active and activity_date >= date '{{ window.rebuild_from }}'

),

user_days as (

    {# Every user on the new days; changed users also on the stored days they may have changed
       (every user on every day of the window where the run overwrites whole days). #}
    select
        user_states.user_id,
        days_to_build.activity_date,
        user_states.first_activity_date,
        user_states.last_activity_date as last_active_date_of_state,
        user_states.last_activity_before_history,
        {{ dbt.datediff('user_states.last_activity_date', 'days_to_build.activity_date', 'day') }} as days_after_state,
        user_states.activity_history_bitmask
    from user_states
    inner join days_to_build
        on user_states.first_activity_date <= days_to_build.activity_date
    {%- if not incremental_overwrites() %}
    left join changed_users
        on user_states.user_id = changed_users.user_id
    where
        days_to_build.activity_date > date '{{ window.stored_until }}'
        or changed_users.user_id is not null
    {%- endif %}

),

user_days_with_history as (

    {# The 127-day history as seen from activity_date: shifted forward after the state's
       day, back (older days only) before it. #}
    select
        *,
        case
            when days_after_state >= 0
                then {{ bitmask_wide_shift('activity_history_bitmask', 'days_after_state') }}
            else {{ bitmask_wide_shift_back('activity_history_bitmask', '-days_after_state') }}
        end as history_at_day
    from user_days

),

user_days_with_state as (

    select
        user_days_with_history.user_id,
        user_days_with_history.activity_date,
        user_days_with_history.first_activity_date,
        case
            when user_days_with_history.days_after_state >= 0
                then user_days_with_history.last_active_date_of_state
            when not {{ bitmask_wide_is_empty('user_days_with_history.history_at_day') }}
                then user_days_with_history.activity_date
                - {{ bitmask_wide_lowest_bit('user_days_with_history.history_at_day') }}
            else user_days_with_history.last_activity_before_history
        end as last_activity_date,
        {{ bitmask_wide_low_bits('user_days_with_history.history_at_day', width) }} as activity_bitmask,
        active_days_in_window.last_ingested_at as activity_last_ingested_at,
        active_days_in_window.last_ingest_batch_id as activity_last_ingest_batch_id
    from user_days_with_history
    left join active_days_in_window
        on
            user_days_with_history.user_id = active_days_in_window.user_id
            and user_days_with_history.activity_date = active_days_in_window.activity_date

),
{%- endif %}
{%- else %}

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
                    then {{ bitmask_day_bit(
                        dbt.datediff('active_days.activity_date', 'build_window.build_from', 'day') ~ ' - 1'
                    ) }}
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
        {{ dbt.datediff('build_window.build_from', 'days_in_window.activity_date', 'day') }}
        + 1 as days_since_previous_state
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
            {{ bitmask_day_bit(
                dbt.datediff('active_days_in_window.activity_date', 'user_days.activity_date', 'day')
            ) }}
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
{%- endif %}

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
