{#- Return max(<expression>) of a relation at compile time (for literal, prunable watermarks), or `default` when empty, missing or not executing; `where` restricts the rows read. -#}
{% macro get_max_value(relation, expression, default=none, where=none) -%}
    {{ return(get_aggregate_value(relation, 'max(' ~ expression ~ ')', default, where)) }}
{%- endmacro %}
