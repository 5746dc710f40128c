{#- The highest possible churn-risk score: the sum of all points in churn_score_weights (every reason holds). -#}
{% macro churn_risk_score_max() -%}
    {{ return(churn_score_weights().values() | sum) }}
{%- endmacro %}
