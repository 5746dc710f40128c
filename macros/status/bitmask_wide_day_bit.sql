{#- A 127-day activity history with only the day `days_ago` days before its anchor set (empty when days_ago >= 127). -#}
{% macro bitmask_wide_day_bit(days_ago) -%}
    {{ return(adapter.dispatch('bitmask_wide_day_bit')(days_ago)) }}
{%- endmacro %}

{% macro default__bitmask_wide_day_bit(days_ago) -%}
    case
        when ({{ days_ago }}) < 127 then cast(1 as hugeint) << ({{ days_ago }})
        else cast(0 as hugeint)
    end
{%- endmacro %}

{% macro spark__bitmask_wide_day_bit(days_ago) -%}
    case
        when ({{ days_ago }}) < 127 then concat(repeat('0', {{ days_ago }}), '1', repeat('0', 126 - ({{ days_ago }})))
        else repeat('0', 127)
    end
{%- endmacro %}
