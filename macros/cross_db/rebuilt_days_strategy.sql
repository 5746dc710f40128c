{#- Incremental strategy of dim_daily_user_status: append after its pre-hook deleted the rows the run rebuilds, where rows can be deleted; on plain Parquet insert_overwrite of the rebuilt days' partitions (the run then builds every user on those days). -#}
{% macro rebuilt_days_strategy() -%}
    {{ return(adapter.dispatch('rebuilt_days_strategy')()) }}
{%- endmacro %}

{% macro default__rebuilt_days_strategy() -%}
    {{ return('append') }}
{%- endmacro %}

{% macro spark__rebuilt_days_strategy() -%}
    {{ return('append' if spark_table_format() else 'insert_overwrite') }}
{%- endmacro %}
