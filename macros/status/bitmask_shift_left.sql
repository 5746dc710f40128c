{#- A BIGINT moved `bits` bits up (x << bits): DuckDB's operator, Spark 3.5's shiftleft (Spark has `<<` only from 4.0). -#}
{% macro bitmask_shift_left(value, bits) -%}
    {{ return(adapter.dispatch('bitmask_shift_left')(value, bits)) }}
{%- endmacro %}

{% macro default__bitmask_shift_left(value, bits) -%}
    (({{ value }}) << ({{ bits }}))
{%- endmacro %}

{% macro spark__bitmask_shift_left(value, bits) -%}
    shiftleft({{ value }}, {{ bits }})
{%- endmacro %}
