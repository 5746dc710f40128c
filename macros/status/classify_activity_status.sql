{#- Growth-accounting status of a user on `activity_date` for a window of `window_days` (1 = daily, 7 = weekly): new, retained, resurrected, churned or stale. -#}
{% macro classify_activity_status(mask, first_activity_date, activity_date, window_days) -%}
    case
        when {{ first_activity_date }} = {{ activity_date }} then 'new'
        when
            {{ bitmask_any_day(mask, window_days, 0) }}
            and {{ bitmask_any_day(mask, window_days, 1) }}
            then 'retained'
        when {{ bitmask_any_day(mask, window_days, 0) }} then 'resurrected'
        when {{ bitmask_any_day(mask, window_days, 1) }} then 'churned'
        else 'stale'
    end
{%- endmacro %}
