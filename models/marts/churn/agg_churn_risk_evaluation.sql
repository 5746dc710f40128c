{#
    One row per scoring day of fct_user_churn_risk whose outcome window is fully observed:
    how well that day's top risk decile predicted what happened next. A user counts as
    churned when they were not active on any of the engagement__churn_outcome_days (14)
    days after the scoring day (observed from fct_daily_activity).
#}

{%- set outcome_days = var('engagement__churn_outcome_days') %}

with

churn_risk as (

    select * from {{ ref('fct_user_churn_risk') }}

),

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

observed_until as (

    select max(activity_date) as last_observed_date
    from daily_activity

),

scored_users as (

    select
        churn_risk.activity_date,
        churn_risk.user_id,
        churn_risk.risk_decile,
        churn_risk.is_lookback_complete
    from churn_risk
    cross join observed_until
    where churn_risk.activity_date + {{ outcome_days }} <= observed_until.last_observed_date

),

active_days as (

    select
        user_id,
        activity_date
    from daily_activity
    where is_active

),

outcomes as (

    select
        scored_users.activity_date,
        scored_users.user_id,
        scored_users.risk_decile,
        scored_users.is_lookback_complete,
        count(active_days.activity_date) = 0 as has_churned
    from scored_users
    left join active_days
        on
            scored_users.user_id = active_days.user_id
            and scored_users.activity_date < active_days.activity_date
            and scored_users.activity_date + {{ outcome_days }} >= active_days.activity_date
    group by 1, 2, 3, 4

),

daily_counts as (

    select
        activity_date,
        count(*) as scored_users,
        count(case when has_churned then 1 end) as churned_users,
        count(case when risk_decile = 1 then 1 end) as top_decile_users,
        count(case when risk_decile = 1 and has_churned then 1 end) as top_decile_churned_users,
        bool_and(is_lookback_complete) as is_lookback_complete
    from outcomes
    group by 1

),

final as (

    select
        activity_date,
        {{ outcome_days }} as outcome_days,
        scored_users,
        churned_users,
        top_decile_users,
        top_decile_churned_users,
        1.0 * churned_users / scored_users as base_rate,
        1.0 * top_decile_churned_users / nullif(top_decile_users, 0) as top_decile_precision,
        1.0 * top_decile_churned_users / nullif(churned_users, 0) as top_decile_recall,
        (1.0 * top_decile_churned_users / nullif(top_decile_users, 0))
        / nullif(1.0 * churned_users / scored_users, 0) as top_decile_lift,
        is_lookback_complete
    from daily_counts

)

select * from final
