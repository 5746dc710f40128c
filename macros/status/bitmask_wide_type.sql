{#- SQL type of a 127-day activity history: HUGEINT (bit k = k days before the anchor day); Spark, which has no 128-bit integer, a 127-character string whose character k + 1 is '1' when bit k is set. -#}
{% macro bitmask_wide_type() -%}
    {{ return(adapter.dispatch('bitmask_wide_type')()) }}
{%- endmacro %}

{% macro default__bitmask_wide_type() -%}
    hugeint
{%- endmacro %}

{% macro spark__bitmask_wide_type() -%}
    string
{%- endmacro %}
