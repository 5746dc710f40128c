{{
    config(
        materialized='incremental',
        incremental_strategy=rebuilt_days_strategy(),
        partition_by=date_partition('activity_date'),
        pre_hook=["{{ delete_rebuilt_days(analysis_rebuild_from(profile_changes=true)) }}"],
        post_hook=["{{ prune_to_status_history() }}"],
    )
}}

-- depends_on: {{ ref('fct_daily_activity') }}
-- depends_on: {{ ref('fct_privacy_erasures') }}
-- depends_on: {{ ref('int_user_attribute_history') }}

{#
    One row per (activity_date, user_id) for users monthly-active on activity_date: the
    churn model's probability that the user is not active on any of the next
    engagement__churn_outcome_days days, the user's risk rank and decile among that day's
    monthly-active users, and the reasons in words. The probability is a logistic model,
    1 / (1 + exp(-(intercept + sum of coefficient x feature))), with the coefficients of
    seeds/churn_model_coefficients.csv (fitted by engagement-churn-fit, scikit-learn) over
    the features of int_user_churn_features (macro churn_model_features).
    Incremental: the days int_user_churn_features rebuilt (analysis_rebuild_from, same
    inputs) are rescored for every user, so each day's ranks and deciles are whole.
#}

{%- set rebuild_from = analysis_rebuild_from(profile_changes=true) %}

with

churn_features as (

    select * from {{ ref('int_user_churn_features') }}
    where {{ rebuilt_days_filter('activity_date', rebuild_from) }}

),

model_coefficients as (

    select * from {{ ref('churn_model_coefficients') }}

),

coefficient_row as (

    {# The seed's long rows as one row of columns; a feature missing from the seed leaves
       its column NULL and so every probability NULL (not_null test). #}
    select
        max(case when feature = 'intercept' then coefficient end) as intercept,
        {%- for feature in churn_model_features() %}
        max(case when feature = '{{ feature }}' then coefficient end) as coefficient_{{ feature }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from model_coefficients

),

scored as (

    select
        churn_features.*,
        coefficient_row.intercept
        {%- for feature in churn_model_features() %}
        + coefficient_row.coefficient_{{ feature }} * churn_features.{{ feature }}
        {%- endfor %} as churn_logit
    from churn_features
    cross join coefficient_row

),

explained as (

    {# Reasons in the words of a retention manager, strongest signal first; concat_ws skips
       the NULLs of reasons that do not hold. #}
    select
        *,
        1.0 / (1.0 + exp(-churn_logit)) as churn_probability,
        cast(has_recent_inactivity as integer) + cast(has_activity_drop as integer)
        + cast(has_watch_time_drop as integer) + cast(has_shorter_sessions as integer)
        + cast(has_poor_qoe as integer) + cast(is_new_user as integer)
        + cast(has_recent_downgrade as integer) as reason_count,
        coalesce(nullif(concat_ws(
            '; ',
            case
                when has_recent_inactivity
                    then
                        'no viewing for '
                        || cast(days_since_last_activity as {{ dbt.type_string() }})
                        || ' days'
            end,
            case
                when has_activity_drop
                    then
                        'active ' || cast(days_active_l7 as {{ dbt.type_string() }})
                        || ' of the last 7 days, down from '
                        || cast(
                            {{ round_double('baseline_weekly_active_days', 1) }} as {{ dbt.type_string() }}
                        )
                        || ' a week'
            end,
            case
                when has_watch_time_drop
                    then
                        'watch time down '
                        || cast(
                            cast(round(100 * (1 - watch_time_ratio)) as integer) as {{ dbt.type_string() }}
                        )
                        || '% on the weeks before'
            end,
            case
                when has_shorter_sessions
                    then
                        'sessions '
                        || cast(
                            cast(round(100 * (1 - session_minutes_l7 / session_minutes_baseline)) as integer)
                            as {{ dbt.type_string() }}
                        )
                        || '% shorter than before'
            end,
            case
                when has_poor_qoe
                    then
                        'poor playback: slow starts or rebuffering (startup p90 '
                        || cast({{ round_double('startup_p90_ms / 1000.0', 1) }} as {{ dbt.type_string() }})
                        || ' s vs '
                        || cast(
                            {{ round_double('norm_startup_p90_ms / 1000.0', 1) }} as {{ dbt.type_string() }}
                        )
                        || ' s typical)'
            end,
            case
                when has_recent_downgrade
                    then
                        'moved to a cheaper plan on '
                        || cast(last_plan_change_date as {{ dbt.type_string() }})
            end,
            case
                when is_new_user
                    then
                        'new subscriber: joined '
                        || cast(tenure_days as {{ dbt.type_string() }})
                        || ' days ago'
            end
        ), ''), 'no warning sign') as risk_reasons
    from scored

),

final as (

    select
        activity_date,
        user_id,
        churn_probability,
        100 * churn_probability as risk_score,
        {# bigint: Spark's row_number() and ntile() are INT (DuckDB's BIGINT). #}
        cast(row_number() over (
            partition by activity_date
            order by churn_probability desc, days_since_last_activity desc, user_id asc
        ) as bigint) as risk_rank,
        cast(ntile(10) over (
            partition by activity_date
            order by churn_probability desc, days_since_last_activity desc, user_id asc
        ) as bigint) as risk_decile,
        risk_reasons,
        reason_count,
        has_activity_drop,
        has_recent_inactivity,
        has_watch_time_drop,
        has_shorter_sessions,
        has_poor_qoe,
        is_new_user,
        has_recent_downgrade,
        plan_changes_l28,
        last_plan_change_date,
        days_active_l7,
        days_active_prior_week,
        days_active_baseline,
        baseline_weekly_active_days,
        days_active_l28,
        last_activity_date,
        days_since_last_activity,
        tenure_days,
        time_spent_seconds_l7,
        time_spent_seconds_baseline,
        baseline_weekly_time_spent_seconds,
        watch_time_ratio,
        session_minutes_l7,
        session_minutes_baseline,
        qoe_playbacks,
        rebuffer_ratio,
        startup_p90_ms,
        norm_rebuffer_ratio,
        norm_startup_p90_ms,
        is_lookback_complete,
        last_ingest_batch_id
    from explained

)

select * from final
