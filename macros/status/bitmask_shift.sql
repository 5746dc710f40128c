{#- Shift an activity bitmask (bit 0 = the day itself) `days` days into the future, dropping bits beyond `width` (never overflows). -#}
{% macro bitmask_shift(mask, days, width=var('engagement__status_bitmask_days')) -%}
    case
        when ({{ days }}) >= {{ width }} then cast(0 as bigint)
        else {{ bitmask_shift_left(
            '(' ~ mask ~ ') & (' ~ bitmask_shift_left('cast(1 as bigint)', width ~ ' - (' ~ days ~ ')') ~ ' - 1)',
            days
        ) }}
    end
{%- endmacro %}
