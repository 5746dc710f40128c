{#- Number of active days in the `window_days` days ending `offset_days` before the mask's day. -#}
{% macro bitmask_count_days(mask, window_days, offset_days=0) -%}
    {{ return(adapter.dispatch('bitmask_count_days')(mask, window_days, offset_days)) }}
{%- endmacro %}

{% macro default__bitmask_count_days(mask, window_days, offset_days=0) -%}
    cast(bit_count({{ bitmask_window(mask, window_days, offset_days) }}) as integer)
{%- endmacro %}
