{#- Materialization of a model whose incremental run deletes, updates or overwrites rows it stored: incremental, except on a Spark target without a table format (plain Parquet has no DELETE, UPDATE or MERGE), where it is rebuilt whole from its inputs every run (the same SQL on its full-refresh branch). -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('incremental' if spark_table_format() else 'table') }}
{%- endmacro %}
