{#- Pre-hook SQL of a day-grain analysis model: delete the days its incremental run rebuilds (from rebuild_from on) and, with `changed_users` (a select of user_id), every row of those users, where rows can be deleted; on plain Parquet the run overwrites those days' partitions instead. -#}
{% macro delete_rebuilt_days(rebuild_from, changed_users=none) -%}
    {%- if not execute or not is_incremental() or incremental_overwrites() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set conditions = [] -%}
    {%- if rebuild_from is not none -%}
        {%- do conditions.append("activity_date >= date '" ~ rebuild_from ~ "'") -%}
    {%- endif -%}
    {%- if changed_users is not none -%}
        {%- do conditions.append("user_id in (" ~ changed_users ~ ")") -%}
    {%- endif -%}
    {%- if not conditions -%}
        {{ return('') }}
    {%- endif -%}
    {{ return("delete from " ~ this ~ " where " ~ conditions | join(' or ')) }}
{%- endmacro %}
