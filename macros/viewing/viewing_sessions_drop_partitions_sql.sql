{#- The statement that drops the given session_date partitions of fct_viewing_sessions (plain Parquet on Spark: no DELETE), or '' for none. -#}
{% macro viewing_sessions_drop_partitions_sql(days) -%}
    {%- if days | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set partitions = [] -%}
    {%- for day in days -%}
        {%- do partitions.append("partition (session_date = '" ~ day ~ "')") -%}
    {%- endfor -%}
    {{ return('alter table ' ~ this ~ ' drop if exists ' ~ partitions | join(', ')) }}
{%- endmacro %}
