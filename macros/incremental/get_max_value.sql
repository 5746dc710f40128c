{#- Return max(<expression>) of a relation at compile time (for literal, prunable watermarks), or `default` when empty, missing or not executing. -#}
{% macro get_max_value(relation, expression, default=none) -%}
    {%- if not execute or relation is none -%}
        {{ return(default) }}
    {%- endif -%}
    {%- set result = run_query('select max(' ~ expression ~ ') from ' ~ relation) -%}
    {%- set value = result.columns[0].values()[0] -%}
    {{ return(default if value is none else value) }}
{%- endmacro %}
