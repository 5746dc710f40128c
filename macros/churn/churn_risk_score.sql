{#- The churn-risk score: sum of the points (churn_score_weights) of the reasons that hold; `prefix` qualifies the columns. -#}
{% macro churn_risk_score(prefix='') -%}
    {%- set weights = churn_score_weights() -%}
    (
        {%- for reason, points in weights.items() %}
        case when {{ prefix }}{{ reason }} then {{ points }} else 0 end
        {%- if not loop.last %} +{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
