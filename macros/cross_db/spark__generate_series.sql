{#- dbt.generate_series on Spark, overriding dbt's default (a cross join of powers of two through power(), which makes generated_number a DOUBLE there): 1 .. upper_bound as a BIGINT, as DuckDB's generate_series gives it. -#}
{% macro spark__generate_series(upper_bound) -%}
    select id as generated_number from range(1, ({{ upper_bound }}) + 1)
{%- endmacro %}
