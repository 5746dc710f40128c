-- Platform DAU, WAU and MAU in the segment mart equal a direct recount of distinct users
-- active on that platform within the 1 / 7 / 30 days ending D (fct_daily_platform_activity),
-- checking the running-sum computation of int_platform_engagement_daily on every day.

{%- set wau_days = var('engagement__wau_window_days') %}
{%- set mau_days = var('engagement__mau_window_days') %}

with

segments as (

    select * from {{ ref('agg_daily_segment_engagement') }}

),

platform_activity as (

    select * from {{ ref('fct_daily_platform_activity') }}

),

platform_segments as (

    select *
    from segments
    where segment_type = 'platform'

),

report_days as (

    select
        activity_date,
        cast({{ dbt.dateadd('day', -wau_days, 'activity_date') }} as date) as wau_window_opens_after,
        cast({{ dbt.dateadd('day', -mau_days, 'activity_date') }} as date) as mau_window_opens_after
    from segments
    group by 1

),

platform_active_days as (

    select
        user_id,
        platform,
        activity_date
    from platform_activity
    where is_active
    group by 1, 2, 3

),

recount as (

    select
        report_days.activity_date,
        platform_active_days.platform,
        count(distinct case
            when platform_active_days.activity_date = report_days.activity_date
                then platform_active_days.user_id
        end) as dau,
        count(distinct case
            when platform_active_days.activity_date > report_days.wau_window_opens_after
                then platform_active_days.user_id
        end) as wau,
        count(distinct platform_active_days.user_id) as mau
    from report_days
    inner join platform_active_days
        on
            report_days.activity_date >= platform_active_days.activity_date
            and report_days.mau_window_opens_after < platform_active_days.activity_date
    group by 1, 2

),

mismatches as (

    select
        coalesce(recount.activity_date, platform_segments.activity_date) as activity_date,
        coalesce(recount.platform, platform_segments.segment_value) as platform,
        recount.dau as recount_dau,
        platform_segments.dau,
        recount.wau as recount_wau,
        platform_segments.wau,
        recount.mau as recount_mau,
        platform_segments.mau
    from recount
    full outer join platform_segments
        on
            recount.activity_date = platform_segments.activity_date
            and recount.platform = platform_segments.segment_value
    where
        coalesce(recount.dau, 0) <> coalesce(platform_segments.dau, 0)
        or coalesce(recount.wau, 0) <> coalesce(platform_segments.wau, 0)
        or coalesce(recount.mau, 0) <> coalesce(platform_segments.mau, 0)

)

select * from mismatches
