{#- The cohort grains of the retention marts as a SQL row set: cohort_grain 'day' (period_length_days 1) and 'week' (ISO week cohorts, 7). -#}
{% macro retention_cohort_grains() -%}
    select
        'day' as cohort_grain,
        1 as period_length_days
    union all
    select
        'week' as cohort_grain,
        7 as period_length_days
{%- endmacro %}
