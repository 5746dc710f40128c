{#
    How well each scorer ranked the held-out user-days of int_churn_risk_outcomes, per
    outcome: the churn model against the recency-only and frequency-only baselines, each
    against observed inactivity and against the generator's ground truth. Pooled over the
    held-out scoring days: base rate, precision, recall and lift of the top decile (the
    day's decile 1), and the AUC (probability that a random churner outscores a random
    stayer, ties counted half: the Mann-Whitney U from average ranks).
#}

{%- set scorers = [('model', 'churn_probability', 'risk_decile'),
                   ('recency', 'recency_score', 'recency_decile'),
                   ('frequency', 'frequency_score', 'frequency_decile')] %}
{%- set outcomes = [('observed_inactivity', 'has_churned_observed'), ('truth_churn', 'has_churned_truth')] %}

with

outcomes as (

    select * from {{ ref('int_churn_risk_outcomes') }}

),

long_scores as (

    {% for scorer, score, decile in scorers -%}
    {%- set outer_loop = loop -%}
    {% for outcome, label in outcomes -%}
    select
        '{{ scorer }}' as scorer,
        '{{ outcome }}' as outcome,
        activity_date,
        {{ score }} as score,
        {{ decile }} as score_decile,
        {{ label }} as has_churned
    from outcomes
    where {{ label }} is not null
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {% endfor -%}
    {%- endfor %}

),

ranked as (

    select
        *,
        {# Doubles (exact: whole and half numbers): 1.0 * n or n / 2.0 would be a DECIMAL on Spark. #}
        cast(rank() over (partition by scorer, outcome order by score) as double)
        + cast(count(*) over (partition by scorer, outcome, score) - 1 as double) / 2 as average_rank
    from long_scores

),

pooled as (

    select
        scorer,
        outcome,
        min(activity_date) as first_scoring_date,
        max(activity_date) as last_scoring_date,
        count(distinct activity_date) as scoring_days,
        count(*) as scored_user_days,
        count(case when has_churned then 1 end) as churned_user_days,
        count(case when score_decile = 1 then 1 end) as top_decile_user_days,
        count(case when score_decile = 1 and has_churned then 1 end) as top_decile_churned_user_days,
        sum(case when has_churned then average_rank else 0 end) as churned_rank_sum
    from ranked
    group by 1, 2

),

final as (

    select
        scorer,
        outcome,
        {{ var('engagement__churn_outcome_days') }} as outcome_days,
        first_scoring_date,
        last_scoring_date,
        scoring_days,
        scored_user_days,
        churned_user_days,
        top_decile_user_days,
        top_decile_churned_user_days,
        cast(churned_user_days as double) / scored_user_days as base_rate,
        cast(top_decile_churned_user_days as double)
        / nullif(top_decile_user_days, 0) as top_decile_precision,
        cast(top_decile_churned_user_days as double) / nullif(churned_user_days, 0) as top_decile_recall,
        (cast(top_decile_churned_user_days as double) / nullif(top_decile_user_days, 0))
        / nullif(cast(churned_user_days as double) / scored_user_days, 0) as top_decile_lift,
        (churned_rank_sum - cast(churned_user_days * (churned_user_days + 1) as double) / 2)
        / nullif(cast(churned_user_days as double) * (scored_user_days - churned_user_days), 0) as auc
    from pooled

)

select * from final
