{#- partition_by of a model stored by day: the date column on Spark (insert_overwrite replaces, and readers prune, whole days), none elsewhere (DuckDB prunes by zone map; dbt-duckdb partitions only DuckLake tables). -#}
{% macro date_partition(column) -%}
    {{ return(adapter.dispatch('date_partition')(column)) }}
{%- endmacro %}

{% macro default__date_partition(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__date_partition(column) -%}
    {{ return(column) }}
{%- endmacro %}
