{#- Incremental strategy that replaces the stored rows of a model's unique_key with the new ones: delete+insert where it exists, merge on Spark (Delta, Iceberg, Hudi). -#}
{% macro upsert_strategy() -%}
    {{ return(adapter.dispatch('upsert_strategy')()) }}
{%- endmacro %}

{% macro default__upsert_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__upsert_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}
