{#- Incremental strategy of a model whose incremental run replaces stored rows: delete+insert on its unique_key where rows can be deleted, merge on Spark with a table format, and on plain Parquet insert_overwrite (of the partitions the run writes, or of the whole table when it has no partition_by). -#}
{% macro upsert_strategy() -%}
    {{ return(adapter.dispatch('upsert_strategy')()) }}
{%- endmacro %}

{% macro default__upsert_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__upsert_strategy() -%}
    {{ return('merge' if spark_table_format() else 'insert_overwrite') }}
{%- endmacro %}
