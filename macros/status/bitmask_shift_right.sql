{#- A non-negative BIGINT moved `bits` bits down (x >> bits): DuckDB's operator, Spark 3.5's shiftright. -#}
{% macro bitmask_shift_right(value, bits) -%}
    {{ return(adapter.dispatch('bitmask_shift_right')(value, bits)) }}
{%- endmacro %}

{% macro default__bitmask_shift_right(value, bits) -%}
    (({{ value }}) >> ({{ bits }}))
{%- endmacro %}

{% macro spark__bitmask_shift_right(value, bits) -%}
    shiftright({{ value }}, {{ bits }})
{%- endmacro %}
