{#- Materialization of a model that hands a cumulative model its stored state (int_user_activity_states_previous): a view of that table where the cumulative model updates rows in place; on plain Parquet, which it overwrites whole and so cannot read while writing, a table copied before it runs. -#}
{% macro stored_state_materialization() -%}
    {{ return(adapter.dispatch('stored_state_materialization')()) }}
{%- endmacro %}

{% macro default__stored_state_materialization() -%}
    {{ return('view') }}
{%- endmacro %}

{% macro spark__stored_state_materialization() -%}
    {{ return('view' if spark_table_format() else 'table') }}
{%- endmacro %}
