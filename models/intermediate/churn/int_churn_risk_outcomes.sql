{{
    config(
        materialized='incremental',
        incremental_strategy=rebuilt_days_strategy(),
        partition_by=date_partition('activity_date'),
        pre_hook=[
            "{{ delete_rebuilt_days(analysis_rebuild_from(var('engagement__churn_outcome_days'), profile_changes=true)) }}",
        ],
        post_hook=["{{ prune_to_status_history() }}"],
    )
}}

-- depends_on: {{ ref('fct_privacy_erasures') }}
-- depends_on: {{ ref('int_user_attribute_history') }}

{#
    One row per held-out scored user-day of fct_user_churn_risk: the model's probability and
    decile beside two one-line baselines computed here the same way (recency: days since the
    last activity; frequency: fewer active days in the last 28), and two outcomes:

    * observed inactivity: no activity on D+1..D+N (N = engagement__churn_outcome_days), from
      fct_daily_activity; the last engagement__retention_incomplete_days days are still filling
      up and never count;
    * truth churn: the generator's churn_date falls in D+1..D+N; users the truth has already
      churned on or before D are left out (NULL), and so is everything when
      engagement__churn_evaluate_against_truth is false.

    Evaluable = D + N is observed. Held out: the model is fitted on another generator run
    (another seed, seeds/churn_model_training.csv: generator_seed), so no user or outcome
    the fit saw is scored here; engagement-churn-validation refuses a warehouse whose
    landing manifest has the training seed.

    Incremental: day D reads activity up to D+N, so an activity change on day X rebuilds
    from X-N, and days after the newest stored one that became evaluable are added
    (analysis_rebuild_from with days_after = N); each rebuilt day is whole, for every user.
#}

{%- set outcome_days = var('engagement__churn_outcome_days') %}
{%- set incomplete_days = var('engagement__retention_incomplete_days') %}
{%- set use_truth = var('engagement__churn_evaluate_against_truth') %}
{%- set rebuild_from = analysis_rebuild_from(outcome_days, profile_changes=true) %}

with

churn_risk as (

    select * from {{ ref('fct_user_churn_risk') }}

),

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

{% if use_truth %}
user_truth as (

    select * from {{ ref('stg_generator__user_truth') }}

),
{% endif %}

observed_until as (

    select
        cast({{ dbt.dateadd('day', -incomplete_days, 'max(activity_date)') }} as date) as last_complete_date
    from daily_activity
    {#- The newest day is on or after any rebuilt day: the filter only prunes. #}
    where {{ rebuilt_days_filter('activity_date', rebuild_from) }}

),

scored_users as (

    select
        churn_risk.activity_date,
        churn_risk.user_id,
        churn_risk.churn_probability,
        churn_risk.risk_decile,
        churn_risk.days_since_last_activity,
        churn_risk.days_active_l28
    from churn_risk
    cross join observed_until
    where
        churn_risk.activity_date + {{ outcome_days }} <= observed_until.last_complete_date
        and {{ rebuilt_days_filter('churn_risk.activity_date', rebuild_from) }}

),

baselines as (

    {# Higher = riskier for every score; deciles per day with ties broken by user_id, as the
       model's are (its own ties: by days since last activity, then user_id). #}
    select
        *,
        1.0 * days_since_last_activity as recency_score,
        -1.0 * days_active_l28 as frequency_score,
        {# bigint: Spark's ntile() is an INT (DuckDB's a BIGINT), as risk_decile is. #}
        cast(ntile(10) over (
            partition by activity_date order by days_since_last_activity desc, user_id asc
        ) as bigint) as recency_decile,
        cast(ntile(10) over (
            partition by activity_date order by days_active_l28 asc, user_id asc
        ) as bigint) as frequency_decile
    from scored_users

),

active_days as (

    select
        user_id,
        activity_date
    from daily_activity
    where is_active and {{ rebuilt_days_filter('activity_date', rebuild_from) }}

),

observed_outcomes as (

    select
        baselines.activity_date,
        baselines.user_id,
        count(active_days.activity_date) = 0 as has_churned_observed
    from baselines
    left join active_days
        on
            baselines.user_id = active_days.user_id
            and baselines.activity_date < active_days.activity_date
            and baselines.activity_date + {{ outcome_days }} >= active_days.activity_date
    group by 1, 2

),

final as (

    select
        baselines.activity_date,
        baselines.user_id,
        baselines.churn_probability,
        baselines.risk_decile,
        baselines.recency_score,
        baselines.recency_decile,
        baselines.frequency_score,
        baselines.frequency_decile,
        observed_outcomes.has_churned_observed,
        {% if use_truth -%}
        case
            when user_truth.churn_date <= baselines.activity_date then null
            else coalesce(user_truth.churn_date <= baselines.activity_date + {{ outcome_days }}, false)
        end as has_churned_truth
        {%- else -%}
        cast(null as boolean) as has_churned_truth
        {%- endif %},
        cast({{ newest_ingest_batch() }} as bigint) as last_ingest_batch_id
    from baselines
    inner join observed_outcomes
        on
            baselines.activity_date = observed_outcomes.activity_date
            and baselines.user_id = observed_outcomes.user_id
    {% if use_truth -%}
    left join user_truth
        on baselines.user_id = user_truth.user_id
    {%- endif %}

)

select * from final
