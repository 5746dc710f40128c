{#- The newest `width` days (at most 62) of a 127-day activity history as an activity bitmask (BIGINT, bit 0 = the anchor day). -#}
{% macro bitmask_wide_low_bits(mask, width) -%}
    {{ return(adapter.dispatch('bitmask_wide_low_bits')(mask, width)) }}
{%- endmacro %}

{% macro default__bitmask_wide_low_bits(mask, width) -%}
    cast(({{ mask }}) & ((cast(1 as hugeint) << {{ width }}) - 1) as bigint)
{%- endmacro %}

{% macro spark__bitmask_wide_low_bits(mask, width) -%}
    cast(conv(reverse(substr({{ mask }}, 1, {{ width }})), 2, 10) as bigint)
{%- endmacro %}
