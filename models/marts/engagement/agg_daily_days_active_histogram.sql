{%- set band_regular = var('engagement__l28_band_regular_min_days') -%}
{%- set band_core = var('engagement__l28_band_core_min_days') -%}
{%- set band_power = var('engagement__l28_band_power_min_days') -%}
{#
    One row per (activity_date, window_days, days_active): the L7 (window_days = 7,
    days_active 1..7) and L28 (window_days = 28, days_active 1..28) histograms of
    dim_daily_user_status, zero-filled so every k has a row, plus the power-user curve
    (users active on at least k of the window's days). Users with 0 active days in the
    window are not counted, so the histogram of a day sums to WAU (L7) or to the
    L28-active users (L28). L28 rows carry the engagement band of k (docs block
    def_l28_engagement_band).
#}

with

user_status as (

    select
        user_id,
        activity_date,
        days_active_l7,
        days_active_l28,
        first_activity_date
    from {{ ref('dim_daily_user_status') }}

),

active_user_rollup as (

    select
        activity_date,
        wau,
        mau
    from {{ ref('fct_active_user_fast') }}

),

data_start as (

    {# First day with activity in the data: windows reaching before it are partial. #}
    select min(first_activity_date) as first_data_date
    from user_status

),

days_active_series as (

    {{ dbt.generate_series(28) }}

),

status_days as (

    select distinct activity_date
    from user_status

),

windows as (

    select 7 as window_days
    union all
    select 28 as window_days

),

grid as (

    select
        status_days.activity_date,
        windows.window_days,
        cast(days_active_series.generated_number as integer) as days_active
    from status_days
    cross join windows
    inner join days_active_series
        on windows.window_days >= days_active_series.generated_number

),

user_counts as (

    select
        activity_date,
        7 as window_days,
        days_active_l7 as days_active,
        count(*) as users
    from user_status
    where days_active_l7 >= 1
    group by 1, 2, 3

    union all

    select
        activity_date,
        28 as window_days,
        days_active_l28 as days_active,
        count(*) as users
    from user_status
    where days_active_l28 >= 1
    group by 1, 2, 3

),

histogram as (

    select
        grid.activity_date,
        grid.window_days,
        grid.days_active,
        coalesce(user_counts.users, 0) as users
    from grid
    left join user_counts
        on
            grid.activity_date = user_counts.activity_date
            and grid.window_days = user_counts.window_days
            and grid.days_active = user_counts.days_active

),

histogram_cumulated as (

    select
        activity_date,
        window_days,
        days_active,
        users,
        {# bigint: DuckDB's sum of BIGINT is a HUGEINT, which Spark has not. #}
        cast(sum(users) over (
            partition by activity_date, window_days
            order by days_active desc
            rows between unbounded preceding and current row
        ) as bigint) as users_at_least,
        cast(sum(users) over (partition by activity_date, window_days) as bigint) as window_active_users,
        {{ dbt.dateadd('day', '1 - window_days', 'activity_date') }} as window_start_date
    from histogram

),

final as (

    select
        histogram_cumulated.activity_date,
        histogram_cumulated.window_days,
        histogram_cumulated.days_active,
        case
            when histogram_cumulated.window_days <> 28 then null
            when histogram_cumulated.days_active >= {{ band_power }} then 'power'
            when histogram_cumulated.days_active >= {{ band_core }} then 'core'
            when histogram_cumulated.days_active >= {{ band_regular }} then 'regular'
            else 'casual'
        end as engagement_band,
        histogram_cumulated.users,
        histogram_cumulated.users_at_least,
        histogram_cumulated.window_active_users,
        active_user_rollup.wau,
        active_user_rollup.mau,
        cast(histogram_cumulated.users as double)
        / nullif(histogram_cumulated.window_active_users, 0) as share_of_window_active_users,
        cast(histogram_cumulated.users_at_least as double)
        / nullif(histogram_cumulated.window_active_users, 0) as share_at_least_of_window_active_users,
        cast(histogram_cumulated.users_at_least as double)
        / nullif(active_user_rollup.mau, 0) as share_at_least_of_mau,
        histogram_cumulated.window_start_date >= data_start.first_data_date as is_complete_window
    from histogram_cumulated
    cross join data_start
    left join active_user_rollup
        on histogram_cumulated.activity_date = active_user_rollup.activity_date

)

select * from final
