{#
    Calibration by decile of the held-out user-days of int_churn_risk_outcomes: per scorer,
    outcome and score decile (1 = the day's riskiest tenth), how many churned, beside the
    model's mean predicted probability (NULL for the baselines, which rank but do not predict).
#}

{%- set scorers = [('model', 'risk_decile', 'churn_probability'),
                   ('recency', 'recency_decile', 'null'),
                   ('frequency', 'frequency_decile', 'null')] %}
{%- set outcomes = [('observed_inactivity', 'has_churned_observed'), ('truth_churn', 'has_churned_truth')] %}

with

outcomes as (

    select * from {{ ref('int_churn_risk_outcomes') }}

),

long_deciles as (

    {% for scorer, decile, probability in scorers -%}
    {%- set outer_loop = loop -%}
    {% for outcome, label in outcomes -%}
    select
        '{{ scorer }}' as scorer,
        '{{ outcome }}' as outcome,
        {{ decile }} as score_decile,
        cast({{ probability }} as {{ dbt.type_float() }}) as predicted_probability,
        {{ label }} as has_churned
    from outcomes
    where {{ label }} is not null
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {% endfor -%}
    {%- endfor %}

),

final as (

    select
        scorer,
        outcome,
        score_decile,
        count(*) as scored_user_days,
        count(case when has_churned then 1 end) as churned_user_days,
        cast(count(case when has_churned then 1 end) as double) / count(*) as observed_churn_rate,
        avg(predicted_probability) as mean_predicted_probability
    from long_deciles
    group by 1, 2, 3

)

select * from final
