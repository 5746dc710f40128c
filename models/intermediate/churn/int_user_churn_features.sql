{{
    config(
        materialized='incremental',
        incremental_strategy=rebuilt_days_strategy(),
        partition_by=date_partition('activity_date'),
        pre_hook=["{{ delete_rebuilt_days(analysis_rebuild_from(profile_changes=true)) }}"],
        post_hook=["{{ prune_to_status_history() }}"],
    )
}}

-- depends_on: {{ ref('fct_privacy_erasures') }}

{#
    One row per (activity_date, user_id) for users monthly-active on activity_date: the
    signals behind a churn risk, as measures, as boolean reasons a retention manager reads,
    and as the numeric features (feature_*, see macro churn_model_features) the churn model
    scores. Every threshold is an engagement__churn_* var.

    Windows, for scoring day D and B = engagement__churn_baseline_weeks (3):
    last 7 days = D-6..D; prior week = D-13..D-7; baseline = the B weeks before the last
    7 days, D-(7B+6)..D-7 (D-27..D-7).

    Incremental: every day from analysis_rebuild_from on (profile changes included: a plan
    change counts from its day) is rebuilt for every user, reading daily activity from
    7B + 6 days before it.
#}

{%- set baseline_weeks = var('engagement__churn_baseline_weeks') -%}
{%- set baseline_days = 7 * baseline_weeks -%}
{%- set drop_ratio = var('engagement__churn_activity_drop_ratio') -%}
{%- set min_baseline_days = var('engagement__churn_min_baseline_weekly_active_days') -%}
{%- set inactive_days = var('engagement__churn_inactive_days') -%}
{%- set watch_time_ratio = var('engagement__churn_watch_time_drop_ratio') -%}
{%- set min_baseline_seconds = var('engagement__churn_min_baseline_weekly_seconds') -%}
{%- set session_ratio = var('engagement__churn_session_length_drop_ratio') -%}
{%- set qoe_min_playbacks = var('engagement__churn_qoe_min_playbacks') -%}
{%- set rebuffer_multiplier = var('engagement__churn_rebuffer_ratio_multiplier') -%}
{%- set startup_multiplier = var('engagement__churn_startup_p90_multiplier') -%}
{%- set new_user_days = var('engagement__churn_new_user_days') -%}
{%- set rebuild_from = analysis_rebuild_from(profile_changes=true) -%}
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

daily_activity_in_reach as (

    {# The rows the scored days' windows reach (data_start reads every day's first date). #}
    select * from daily_activity
    where {{ rebuilt_days_filter('activity_date', rebuild_from, baseline_days + 6) }}

),

user_qoe as (

    select * from {{ ref('int_user_qoe_windowed') }}
    where {{ rebuilt_days_filter('activity_date', rebuild_from) }}

),

attribute_history as (

    select * from {{ ref('int_user_attribute_history') }}

),

plan_changes as (

    {# Every change of plan in the change log, with its direction (basic < standard < premium). #}
    select
        user_id,
        cast(valid_from as date) as change_date,
        {{ plan_rank('plan') }} < {{ plan_rank('previous_plan') }} as is_downgrade
    from (
        select
            user_id,
            valid_from,
            plan,
            lag(plan) over (partition by user_id order by valid_from) as previous_plan
        from attribute_history
    ) as versions
    where previous_plan is not null and plan <> previous_plan

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
        {{ bitmask_count_days('user_status.activity_bitmask', 7, 7) }} as days_active_prior_week,
        {{ bitmask_count_days('user_status.activity_bitmask', baseline_days, 7) }} as days_active_baseline,
        user_status.days_active_l28,
        user_status.last_activity_date,
        user_status.signup_date,
        {# bigint: a day difference is a BIGINT on DuckDB, an INT on Spark. #}
        cast(
            {{ dbt.datediff('user_status.last_activity_date', 'user_status.activity_date', 'day') }}
            as bigint
        ) as days_since_last_activity,
        cast(
            {{ dbt.datediff('user_status.signup_date', 'user_status.activity_date', 'day') }}
            as bigint
        ) as tenure_days,
        {# Days of data up to D (capped at 28): the l28 rate is over the days that could be seen. #}
        least(
            {{ dbt.datediff('data_start.first_observed_date', 'user_status.activity_date', 'day') }} + 1,  -- noqa: LT05
            28
        ) as observed_days_l28,
        {# The baseline reaches back before the first observed day: its counts are understated. #}
        user_status.activity_date - {{ baseline_days + 6 }} >= data_start.first_observed_date
            as is_lookback_complete
    from user_status
    cross join data_start
    where
        user_status.is_monthly_active
        and {{ rebuilt_days_filter('user_status.activity_date', rebuild_from) }}

),

activity_windows as (

    select
        monthly_active_users.activity_date,
        monthly_active_users.user_id,
        coalesce(sum(
            case
                when daily_activity_in_reach.activity_date > monthly_active_users.activity_date - 7
                    then daily_activity_in_reach.time_spent_seconds
            end
        ), 0) as time_spent_seconds_l7,
        coalesce(sum(
            case
                when
                    daily_activity_in_reach.activity_date <= monthly_active_users.activity_date - 7
                    and daily_activity_in_reach.activity_date > monthly_active_users.activity_date - 14
                    then daily_activity_in_reach.time_spent_seconds
            end
        ), 0) as time_spent_seconds_prior_week,
        coalesce(sum(
            case
                when daily_activity_in_reach.activity_date <= monthly_active_users.activity_date - 7
                    then daily_activity_in_reach.time_spent_seconds
            end
        ), 0) as time_spent_seconds_baseline,
        coalesce(sum(
            case
                when daily_activity_in_reach.activity_date > monthly_active_users.activity_date - 7
                    then daily_activity_in_reach.sessions
            end
        ), 0) as sessions_l7,
        coalesce(sum(
            case
                when daily_activity_in_reach.activity_date <= monthly_active_users.activity_date - 7
                    then daily_activity_in_reach.sessions
            end
        ), 0) as sessions_baseline
    from monthly_active_users
    left join daily_activity_in_reach
        on
            monthly_active_users.user_id = daily_activity_in_reach.user_id
            and monthly_active_users.activity_date >= daily_activity_in_reach.activity_date
            and monthly_active_users.activity_date - {{ baseline_days + 7 }}
            < daily_activity_in_reach.activity_date
    group by 1, 2

),

recent_plan_changes as (

    {# Plan changes in the 28 days ending D (a downgrade is a warning sign before a cancel). #}
    select
        monthly_active_users.activity_date,
        monthly_active_users.user_id,
        count(*) as plan_changes_l28,
        {{ dbt.bool_or('plan_changes.is_downgrade') }} as has_downgraded_l28,
        max(plan_changes.change_date) as last_plan_change_date
    from monthly_active_users
    inner join plan_changes
        on
            monthly_active_users.user_id = plan_changes.user_id
            and monthly_active_users.activity_date >= plan_changes.change_date
            and monthly_active_users.activity_date - 28 < plan_changes.change_date
    group by 1, 2

),

measures as (

    select
        monthly_active_users.activity_date,
        monthly_active_users.user_id,
        monthly_active_users.is_lookback_complete,
        monthly_active_users.observed_days_l28,
        monthly_active_users.days_active_l7,
        monthly_active_users.days_active_prior_week,
        monthly_active_users.days_active_baseline,
        {# A double first: an integer over a decimal literal is a DECIMAL on Spark (6 places). #}
        cast(monthly_active_users.days_active_baseline as double)
        / {{ baseline_weeks }} as baseline_weekly_active_days,
        monthly_active_users.days_active_l28,
        monthly_active_users.last_activity_date,
        monthly_active_users.days_since_last_activity,
        monthly_active_users.signup_date,
        monthly_active_users.tenure_days,
        activity_windows.time_spent_seconds_l7,
        activity_windows.time_spent_seconds_prior_week,
        activity_windows.time_spent_seconds_baseline,
        activity_windows.time_spent_seconds_baseline / {{ baseline_weeks }}.0
            as baseline_weekly_time_spent_seconds,
        case
            when activity_windows.time_spent_seconds_baseline > 0
                then
                    activity_windows.time_spent_seconds_l7 * {{ baseline_weeks }}
                    / activity_windows.time_spent_seconds_baseline
        end as watch_time_ratio,
        activity_windows.sessions_l7,
        activity_windows.sessions_baseline,
        case
            when activity_windows.sessions_l7 > 0
                then activity_windows.time_spent_seconds_l7 / 60.0 / activity_windows.sessions_l7
        end as session_minutes_l7,
        case
            when activity_windows.sessions_baseline > 0
                then activity_windows.time_spent_seconds_baseline / 60.0 / activity_windows.sessions_baseline
        end as session_minutes_baseline,
        coalesce(user_qoe.qoe_playbacks, 0) as qoe_playbacks,
        user_qoe.rebuffer_ratio,
        user_qoe.startup_p90_ms,
        user_qoe.norm_rebuffer_ratio,
        user_qoe.norm_startup_p90_ms,
        coalesce(recent_plan_changes.plan_changes_l28, 0) as plan_changes_l28,
        coalesce(recent_plan_changes.has_downgraded_l28, false) as has_downgraded_l28,
        recent_plan_changes.last_plan_change_date
    from monthly_active_users
    inner join activity_windows
        on
            monthly_active_users.activity_date = activity_windows.activity_date
            and monthly_active_users.user_id = activity_windows.user_id
    left join user_qoe
        on
            monthly_active_users.activity_date = user_qoe.activity_date
            and monthly_active_users.user_id = user_qoe.user_id
    left join recent_plan_changes
        on
            monthly_active_users.activity_date = recent_plan_changes.activity_date
            and monthly_active_users.user_id = recent_plan_changes.user_id

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
        coalesce(session_minutes_l7 <= {{ session_ratio }} * session_minutes_baseline, false)
            as has_shorter_sessions,
        qoe_playbacks >= {{ qoe_min_playbacks }}
        and (
            coalesce(rebuffer_ratio >= {{ rebuffer_multiplier }} * norm_rebuffer_ratio, false)
            or coalesce(startup_p90_ms >= {{ startup_multiplier }} * norm_startup_p90_ms, false)
        ) as has_poor_qoe,
        coalesce(tenure_days < {{ new_user_days }}, false) as is_new_user,
        has_downgraded_l28 as has_recent_downgrade
    from measures

),

features as (

    {# The model's inputs: logs tame long tails, zeros stand for "no data" (no playback,
       no session in a window), so no feature is ever NULL. #}
    select
        *,
        ln(1 + days_since_last_activity) as feature_log_recency,
        case when days_since_last_activity = 0 then 1 else 0 end as feature_is_active_today,
        days_active_l7 as feature_days_active_l7,
        days_active_prior_week as feature_days_active_prior_week,
        cast(days_active_l28 as double) / observed_days_l28 as feature_active_day_rate_l28,
        ln(1 + time_spent_seconds_l7 / 60.0) as feature_log_watch_minutes_l7,
        ln(1 + time_spent_seconds_prior_week / 60.0) as feature_log_watch_minutes_prior_week,
        coalesce(ln((1 + session_minutes_l7) / (1 + session_minutes_baseline)), 0)
            as feature_session_minutes_trend,
        case
            when qoe_playbacks > 0 and startup_p90_ms > 0 and norm_startup_p90_ms > 0
                then ln(startup_p90_ms / norm_startup_p90_ms)
            else 0
        end as feature_log_startup_ratio,
        case
            when qoe_playbacks > 0 then ln((rebuffer_ratio + 0.0001) / (norm_rebuffer_ratio + 0.0001))
            else 0
        end as feature_log_rebuffer_ratio,
        ln(1 + coalesce(greatest(tenure_days, 0), 365)) as feature_log_tenure_days,
        ln((1 + days_active_l7) / (1 + baseline_weekly_active_days)) as feature_activity_trend,
        ln((1 + time_spent_seconds_l7 / 60.0) / (1 + baseline_weekly_time_spent_seconds / 60.0))
            as feature_watch_time_trend,
        plan_changes_l28 as feature_plan_changes_l28,
        case when has_downgraded_l28 then 1 else 0 end as feature_has_downgraded_l28,
        case when has_poor_qoe then 1 else 0 end as feature_has_poor_qoe,
        cast({{ newest_ingest_batch() }} as bigint) as last_ingest_batch_id
    from reasons

)

select * from features
