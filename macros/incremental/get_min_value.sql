{#- Return min(<expression>) of a relation filtered by `where` at compile time, or `default` when there is no row. -#}
{% macro get_min_value(relation, expression, where='true', default=none) -%}
    {%- if not execute or relation is none -%}
        {{ return(default) }}
    {%- endif -%}
    {%- set result = run_query('select min(' ~ expression ~ ') from ' ~ relation ~ ' where ' ~ where) -%}
    {%- set value = result.columns[0].values()[0] -%}
    {{ return(default if value is none else value) }}
{%- endmacro %}
