{#- Whether the target can DELETE or UPDATE stored rows (the erasure and pruning hooks): yes on DuckDB and on Spark with a table format; no on plain Parquet, where those hooks are skipped. -#}
{% macro supports_row_deletes() -%}
    {{ return(adapter.dispatch('supports_row_deletes')()) }}
{%- endmacro %}

{% macro default__supports_row_deletes() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__supports_row_deletes() -%}
    {{ return(spark_table_format() is not none) }}
{%- endmacro %}
