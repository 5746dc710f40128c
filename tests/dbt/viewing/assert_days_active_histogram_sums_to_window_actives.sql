{#
    The L7 histogram of a day sums to WAU (from the rollup) and the L28 histogram to the
    users with days_active_l28 >= 1 (recounted from dim_daily_user_status), for every day.
    Returns the days where either total disagrees.
#}

with

histogram as (

    select * from {{ ref('agg_daily_days_active_histogram') }}

),

active_user_rollup as (

    select * from {{ ref('fct_active_user_fast') }}

),

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

histogram_totals as (

    select
        activity_date,
        sum(case when window_days = 7 then users else 0 end) as l7_histogram_users,
        sum(case when window_days = 28 then users else 0 end) as l28_histogram_users
    from histogram
    group by 1

),

l28_active as (

    select
        activity_date,
        count(case when days_active_l28 >= 1 then 1 end) as l28_active_users
    from user_status
    group by 1

),

compared as (

    select
        l28_active.activity_date,
        coalesce(histogram_totals.l7_histogram_users, 0) as l7_histogram_users,
        coalesce(active_user_rollup.wau, 0) as wau,
        coalesce(histogram_totals.l28_histogram_users, 0) as l28_histogram_users,
        l28_active.l28_active_users
    from l28_active
    left join histogram_totals
        on l28_active.activity_date = histogram_totals.activity_date
    left join active_user_rollup
        on l28_active.activity_date = active_user_rollup.activity_date

)

select * from compared
where
    l7_histogram_users <> wau
    or l28_histogram_users <> l28_active_users
