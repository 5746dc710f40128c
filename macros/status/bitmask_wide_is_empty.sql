{#- True when a 127-day activity history has no active day. -#}
{% macro bitmask_wide_is_empty(mask) -%}
    {{ return(adapter.dispatch('bitmask_wide_is_empty')(mask)) }}
{%- endmacro %}

{% macro default__bitmask_wide_is_empty(mask) -%}
    (({{ mask }}) = 0)
{%- endmacro %}

{% macro spark__bitmask_wide_is_empty(mask) -%}
    (instr({{ mask }}, '1') = 0)
{%- endmacro %}
