{#- Whether this model's incremental run overwrites (insert_overwrite: the partitions it writes, or the whole table without partition_by) instead of replacing rows by key: its incremental SQL must then return every row of what it overwrites. -#}
{% macro incremental_overwrites() -%}
    {{ return(config.get('incremental_strategy') == 'insert_overwrite') }}
{%- endmacro %}
