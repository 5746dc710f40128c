{#- The churn-risk points table: reason column -> points (vars engagement__churn_weight_*), the one place weights are read. -#}
{% macro churn_score_weights() -%}
    {{ return({
        'has_activity_drop': var('engagement__churn_weight_activity_drop'),
        'has_recent_inactivity': var('engagement__churn_weight_recent_inactivity'),
        'has_watch_time_drop': var('engagement__churn_weight_watch_time_drop'),
        'has_poor_qoe': var('engagement__churn_weight_poor_qoe'),
    }) }}
{%- endmacro %}
