{#
    One row per (activity_date, user_id) for users monthly-active on activity_date: four
    boolean churn reasons with the measures behind them, a points score (the weights of
    the reasons that hold, see churn_score_weights) and the user's risk rank and decile
    among that day's monthly-active users. Every threshold is an engagement__churn_* var.

    Windows, for scoring day D and B = engagement__churn_baseline_weeks (3):
    last 7 days = D-6..D; baseline = the B weeks before them, D-(7B+6)..D-7 (D-27..D-7).
#}

{%- set baseline_weeks = var('engagement__churn_baseline_weeks') -%}
{%- set baseline_days = 7 * baseline_weeks -%}
{%- set drop_ratio = var('engagement__churn_activity_drop_ratio') -%}
{%- set min_baseline_days = var('engagement__churn_min_baseline_weekly_active_days') -%}
{%- set inactive_days = var('engagement__churn_inactive_days') -%}
{%- set watch_time_ratio = var('engagement__churn_watch_time_drop_ratio') -%}
{%- set min_baseline_seconds = var('engagement__churn_min_baseline_weekly_seconds') -%}
{%- set qoe_min_playbacks = var('engagement__churn_qoe_min_playbacks') -%}
{%- set rebuffer_multiplier = var('engagement__churn_rebuffer_ratio_multiplier') -%}
{%- set startup_multiplier = var('engagement__churn_startup_p90_multiplier') -%}
{%- if baseline_days + 7 > var('engagement__status_bitmask_days') -%}
    {{ exceptions.raise_compiler_error(
        "engagement__churn_baseline_weeks: 7 x (weeks + 1) must fit in engagement__status_bitmask_days"
    ) }}
{%- endif %}

with

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

user_qoe as (

    select * from {{ ref('int_user_qoe_windowed') }}

),

data_start as (

    select min(activity_date) as first_observed_date
    from daily_activity

),

monthly_active_users as (

    select
        user_status.activity_date,
        user_status.user_id,
        user_status.days_active_l7,
        {{ bitmask_count_days('user_status.activity_bitmask', baseline_days, 7) }} as days_active_baseline,
        user_status.last_activity_date,
        {{ dbt.datediff('user_status.last_activity_date', 'user_status.activity_date', 'day') }}
            as days_since_last_activity,
        {# The baseline reaches back before the first observed day: its counts are understated. #}
        user_status.activity_date - {{ baseline_days + 6 }} >= data_start.first_observed_date
            as is_lookback_complete
    from user_status
    cross join data_start
    where user_status.is_monthly_active

),

watch_time_windows as (

    select
        monthly_active_users.activity_date,
        monthly_active_users.user_id,
        coalesce(sum(
            case
                when daily_activity.activity_date > monthly_active_users.activity_date - 7
                    then daily_activity.time_spent_seconds
            end
        ), 0) as time_spent_seconds_l7,
        coalesce(sum(
            case
                when daily_activity.activity_date <= monthly_active_users.activity_date - 7
                    then daily_activity.time_spent_seconds
            end
        ), 0) as time_spent_seconds_baseline
    from monthly_active_users
    left join daily_activity
        on
            monthly_active_users.user_id = daily_activity.user_id
            and monthly_active_users.activity_date >= daily_activity.activity_date
            and monthly_active_users.activity_date - {{ baseline_days + 7 }} < daily_activity.activity_date
    group by 1, 2

),

measures as (

    select
        monthly_active_users.activity_date,
        monthly_active_users.user_id,
        monthly_active_users.is_lookback_complete,
        monthly_active_users.days_active_l7,
        monthly_active_users.days_active_baseline,
        monthly_active_users.days_active_baseline / {{ baseline_weeks }}.0 as baseline_weekly_active_days,
        monthly_active_users.last_activity_date,
        monthly_active_users.days_since_last_activity,
        watch_time_windows.time_spent_seconds_l7,
        watch_time_windows.time_spent_seconds_baseline,
        watch_time_windows.time_spent_seconds_baseline / {{ baseline_weeks }}.0
            as baseline_weekly_time_spent_seconds,
        case
            when watch_time_windows.time_spent_seconds_baseline > 0
                then
                    watch_time_windows.time_spent_seconds_l7 * {{ baseline_weeks }}
                    / watch_time_windows.time_spent_seconds_baseline
        end as watch_time_ratio,
        coalesce(user_qoe.qoe_playbacks, 0) as qoe_playbacks,
        user_qoe.rebuffer_ratio,
        user_qoe.startup_p90_ms,
        user_qoe.norm_rebuffer_ratio,
        user_qoe.norm_startup_p90_ms
    from monthly_active_users
    inner join watch_time_windows
        on
            monthly_active_users.activity_date = watch_time_windows.activity_date
            and monthly_active_users.user_id = watch_time_windows.user_id
    left join user_qoe
        on
            monthly_active_users.activity_date = user_qoe.activity_date
            and monthly_active_users.user_id = user_qoe.user_id

),

reasons as (

    {# Comparisons are multiplied out (no division) so the documented edges are exact. #}
    select
        *,
        days_active_baseline >= {{ min_baseline_days }} * {{ baseline_weeks }}
        and days_active_l7 * {{ baseline_weeks }} <= {{ drop_ratio }} * days_active_baseline
            as has_activity_drop,
        days_since_last_activity >= {{ inactive_days }} as has_recent_inactivity,
        time_spent_seconds_baseline >= {{ min_baseline_seconds }} * {{ baseline_weeks }}
        and time_spent_seconds_l7 * {{ baseline_weeks }}
        <= {{ watch_time_ratio }} * time_spent_seconds_baseline as has_watch_time_drop,
        qoe_playbacks >= {{ qoe_min_playbacks }}
        and (
            coalesce(rebuffer_ratio >= {{ rebuffer_multiplier }} * norm_rebuffer_ratio, false)
            or coalesce(startup_p90_ms >= {{ startup_multiplier }} * norm_startup_p90_ms, false)
        ) as has_poor_qoe
    from measures

),

scored as (

    select
        *,
        (
            {%- for reason in churn_score_weights() %}
            case when {{ reason }} then 1 else 0 end
            {%- if not loop.last %} +{% endif %}
            {%- endfor %}
        ) as reason_count,
        {{ churn_risk_score() }} as risk_score
    from reasons

),

final as (

    select
        activity_date,
        user_id,
        has_activity_drop,
        has_recent_inactivity,
        has_watch_time_drop,
        has_poor_qoe,
        reason_count,
        risk_score,
        row_number() over (
            partition by activity_date
            order by risk_score desc, days_since_last_activity desc, user_id asc
        ) as risk_rank,
        ntile(10) over (
            partition by activity_date
            order by risk_score desc, days_since_last_activity desc, user_id asc
        ) as risk_decile,
        days_active_l7,
        days_active_baseline,
        baseline_weekly_active_days,
        last_activity_date,
        days_since_last_activity,
        time_spent_seconds_l7,
        time_spent_seconds_baseline,
        baseline_weekly_time_spent_seconds,
        watch_time_ratio,
        qoe_playbacks,
        rebuffer_ratio,
        startup_p90_ms,
        norm_rebuffer_ratio,
        norm_startup_p90_ms,
        is_lookback_complete
    from scored

)

select * from final
