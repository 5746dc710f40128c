{#- Index of the lowest set bit of a non-empty 127-day activity history: how many days before its anchor the latest active day was. -#}
{% macro bitmask_wide_lowest_bit(mask) -%}
    {{ return(adapter.dispatch('bitmask_wide_lowest_bit')(mask)) }}
{%- endmacro %}

{% macro default__bitmask_wide_lowest_bit(mask) -%}
    {{ bitmask_lowest_bit(mask) }}
{%- endmacro %}

{% macro spark__bitmask_wide_lowest_bit(mask) -%}
    (instr({{ mask }}, '1') - 1)
{%- endmacro %}
