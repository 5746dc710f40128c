{#
    One row per (activity_date, platform) for every day kept in dim_daily_user_status:
    DAU, WAU, MAU and growth accounting of (user, platform) pairs.

    A pair is active on D when the user is active on that platform on D (from any country).
    Statuses are those of the daily definition applied to the pair: new (first active day on
    the platform ever is D), retained (active there on D and D-1), resurrected (active there
    on D, not D-1, before D), churned (active there on D-1, not D), stale (active there
    before, neither on D nor D-1).

    Computed from the pairs' active days only, never from a user x platform x day grid:
    an active day opens the pair's weekly (monthly) coverage until the window runs out or the
    next active day takes over; WAU, MAU and the count of pairs ever active are running sums
    of these +1/-1 deltas.
#}

{%- set wau_days = var('engagement__wau_window_days') -%}
{%- set mau_days = var('engagement__mau_window_days') -%}

with

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

platform_activity as (

    select * from {{ ref('fct_daily_platform_activity') }}

),

report_days as (

    select activity_date
    from user_status
    group by 1

),

report_bounds as (

    select
        cast({{ dbt.dateadd('day', -mau_days, 'min(activity_date)') }} as date) as window_start,
        max(activity_date) as last_day
    from report_days

),

platform_active_days as (

    select
        platform_activity.user_id,
        platform_activity.platform,
        platform_activity.activity_date
    from platform_activity
    inner join report_bounds
        on platform_activity.activity_date between report_bounds.window_start and report_bounds.last_day
    where platform_activity.is_active
    group by 1, 2, 3

),

platform_first_active as (

    {# Over all history: "new on the platform" needs the pair's first active day ever. #}
    select
        platform_activity.user_id,
        platform_activity.platform,
        min(platform_activity.activity_date) as first_active_date
    from platform_activity
    inner join report_bounds
        on platform_activity.activity_date <= report_bounds.last_day
    where platform_activity.is_active
    group by 1, 2

),

platform_active_days_sequenced as (

    select
        platform_active_days.user_id,
        platform_active_days.platform,
        platform_active_days.activity_date,
        platform_first_active.first_active_date,
        lag(platform_active_days.activity_date) over (
            partition by platform_active_days.user_id, platform_active_days.platform
            order by platform_active_days.activity_date
        ) as previous_active_date,
        lead(platform_active_days.activity_date) over (
            partition by platform_active_days.user_id, platform_active_days.platform
            order by platform_active_days.activity_date
        ) as next_active_date
    from platform_active_days
    inner join platform_first_active
        on
            platform_active_days.user_id = platform_first_active.user_id
            and platform_active_days.platform = platform_first_active.platform

),

platform_active_day_facts as (

    select
        platform,
        activity_date,
        next_active_date,
        cast({{ dbt.dateadd('day', 1, 'activity_date') }} as date) as day_after,
        {# First day this active day no longer covers in the weekly (monthly) window. #}
        cast({{ dbt.dateadd('day', wau_days, 'activity_date') }} as date) as weekly_coverage_end,
        cast({{ dbt.dateadd('day', mau_days, 'activity_date') }} as date) as monthly_coverage_end,
        {# Every row is an active day of the pair, so only new, retained or resurrected can come out. #}
        {{ classify_activity_status(
            'first_active_date = activity_date',
            'true',
            "previous_active_date = cast(" ~ dbt.dateadd('day', -1, 'activity_date') ~ " as date)"
        ) }} as platform_status
    from platform_active_days_sequenced

),

platform_deltas as (

    {# The active day itself: DAU, its status, and the start of its window coverage. #}
    select
        platform,
        activity_date as metric_date,
        1 as dau,
        case when platform_status = 'new' then 1 else 0 end as new_users,
        case when platform_status = 'retained' then 1 else 0 end as retained_users,
        case when platform_status = 'resurrected' then 1 else 0 end as resurrected_users,
        0 as churned_users,
        1 as weekly_delta,
        1 as monthly_delta,
        0 as ever_active_delta
    from platform_active_day_facts

    union all

    {# The day after an active day not followed by activity the next day: churned. #}
    select
        platform,
        day_after as metric_date,
        0 as dau,
        0 as new_users,
        0 as retained_users,
        0 as resurrected_users,
        1 as churned_users,
        0 as weekly_delta,
        0 as monthly_delta,
        0 as ever_active_delta
    from platform_active_day_facts
    where next_active_date is null or next_active_date > day_after

    union all

    select
        platform,
        case
            when next_active_date < weekly_coverage_end then next_active_date
            else weekly_coverage_end
        end as metric_date,
        0 as dau,
        0 as new_users,
        0 as retained_users,
        0 as resurrected_users,
        0 as churned_users,
        -1 as weekly_delta,
        0 as monthly_delta,
        0 as ever_active_delta
    from platform_active_day_facts

    union all

    select
        platform,
        case
            when next_active_date < monthly_coverage_end then next_active_date
            else monthly_coverage_end
        end as metric_date,
        0 as dau,
        0 as new_users,
        0 as retained_users,
        0 as resurrected_users,
        0 as churned_users,
        0 as weekly_delta,
        -1 as monthly_delta,
        0 as ever_active_delta
    from platform_active_day_facts

    union all

    {# Pairs first active before the window are counted on its first day: exact for every report day. #}
    select
        platform_first_active.platform,
        case
            when platform_first_active.first_active_date < report_bounds.window_start
                then report_bounds.window_start
            else platform_first_active.first_active_date
        end as metric_date,
        0 as dau,
        0 as new_users,
        0 as retained_users,
        0 as resurrected_users,
        0 as churned_users,
        0 as weekly_delta,
        0 as monthly_delta,
        1 as ever_active_delta
    from platform_first_active
    cross join report_bounds

),

platforms_seen as (

    select platform
    from platform_first_active
    group by 1

),

report_day_platforms as (

    {# Every report day for every platform, so running sums carry through days without deltas. #}
    select
        report_days.activity_date,
        platforms_seen.platform
    from report_days
    cross join platforms_seen

),

platform_daily_deltas as (

    select
        platform,
        metric_date,
        sum(dau) as dau,
        sum(new_users) as new_users,
        sum(retained_users) as retained_users,
        sum(resurrected_users) as resurrected_users,
        sum(churned_users) as churned_users,
        sum(weekly_delta) as weekly_delta,
        sum(monthly_delta) as monthly_delta,
        sum(ever_active_delta) as ever_active_delta
    from platform_deltas
    group by 1, 2

),

platform_days as (

    select
        coalesce(report_day_platforms.platform, platform_daily_deltas.platform) as platform,
        coalesce(report_day_platforms.activity_date, platform_daily_deltas.metric_date) as metric_date,
        report_day_platforms.activity_date is not null as is_report_day,
        coalesce(platform_daily_deltas.dau, 0) as dau,
        coalesce(platform_daily_deltas.new_users, 0) as new_users,
        coalesce(platform_daily_deltas.retained_users, 0) as retained_users,
        coalesce(platform_daily_deltas.resurrected_users, 0) as resurrected_users,
        coalesce(platform_daily_deltas.churned_users, 0) as churned_users,
        coalesce(platform_daily_deltas.weekly_delta, 0) as weekly_delta,
        coalesce(platform_daily_deltas.monthly_delta, 0) as monthly_delta,
        coalesce(platform_daily_deltas.ever_active_delta, 0) as ever_active_delta
    from report_day_platforms
    full outer join platform_daily_deltas
        on
            report_day_platforms.platform = platform_daily_deltas.platform
            and report_day_platforms.activity_date = platform_daily_deltas.metric_date

),

platform_days_running as (

    select
        *,
        sum(weekly_delta) over (
            partition by platform
            order by metric_date rows between unbounded preceding and current row
        ) as wau,
        sum(monthly_delta) over (
            partition by platform
            order by metric_date rows between unbounded preceding and current row
        ) as mau,
        sum(ever_active_delta) over (
            partition by platform
            order by metric_date rows between unbounded preceding and current row
        ) as ever_active_users
    from platform_days

),

final as (

    select
        metric_date as activity_date,
        platform,
        cast(dau as bigint) as dau,
        cast(wau as bigint) as wau,
        cast(mau as bigint) as mau,
        cast(new_users as bigint) as new_users,
        cast(retained_users as bigint) as retained_users,
        cast(resurrected_users as bigint) as resurrected_users,
        cast(churned_users as bigint) as churned_users,
        cast(ever_active_users - dau - churned_users as bigint) as stale_users,
        cast(ever_active_users as bigint) as ever_active_users
    from platform_days_running
    where is_report_day and ever_active_users > 0

)

select * from final
