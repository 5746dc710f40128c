{#- The bit that marks activity `days_ago` days before the mask's day (0 = that day itself). -#}
{% macro bitmask_day_bit(days_ago) -%}
    {{ bitmask_shift_left('cast(1 as bigint)', days_ago) }}
{%- endmacro %}
