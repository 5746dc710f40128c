{#- The bits of the `window_days` days ending `offset_days` before the mask's day (offset 0 = ending that day). -#}
{% macro bitmask_window(mask, window_days, offset_days=0) -%}
    ({{ bitmask_shift_right(mask, offset_days) }} & ({{ bitmask_shift_left('cast(1 as bigint)', window_days) }} - 1))
{%- endmacro %}
