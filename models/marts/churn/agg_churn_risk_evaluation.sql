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

score_counts as (

    {# One row per distinct score: tied rows share one average rank, so ranking the distinct
       scores is enough (a baseline score has a few dozen values, not one per user-day). #}
    select
        scorer,
        outcome,
        score,
        count(*) as user_days,
        count(case when has_churned then 1 end) as churned_user_days
    from long_scores
    group by 1, 2, 3

),

score_ranks as (

    {# The average rank of a tie = the rows below it + (its size + 1) / 2, 1-based, as
       rank() + (ties - 1) / 2 over the rows; whole and half numbers, exact as doubles. #}
    select
        scorer,
        outcome,
        churned_user_days,
        cast(coalesce(sum(user_days) over (
            partition by scorer, outcome
            order by score
            rows between unbounded preceding and 1 preceding
        ), 0) as double)
        + cast(user_days + 1 as double) / 2 as average_rank
    from score_counts

),

rank_sums as (

    select
        scorer,
        outcome,
        sum(churned_user_days * average_rank) as churned_rank_sum
    from score_ranks
    group by 1, 2

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
        count(case when score_decile = 1 and has_churned then 1 end) as top_decile_churned_user_days
    from long_scores
    group by 1, 2

),

pooled_with_rank_sums as (

    select
        pooled.*,
        rank_sums.churned_rank_sum
    from pooled
    inner join rank_sums
        on
            pooled.scorer = rank_sums.scorer
            and pooled.outcome = rank_sums.outcome

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
    from pooled_with_rank_sums

)

select * from final
