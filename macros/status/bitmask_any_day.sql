{#- True when the mask has any active day in the `window_days` days ending `offset_days` before its day. -#}
{% macro bitmask_any_day(mask, window_days, offset_days=0) -%}
    ({{ bitmask_window(mask, window_days, offset_days) }} <> 0)
{%- endmacro %}
