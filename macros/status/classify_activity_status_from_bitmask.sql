{#- Growth-accounting status of a user on `activity_date` read from its activity bitmask, for a window of `window_days` (1 = daily, 7 = weekly). -#}
{% macro classify_activity_status_from_bitmask(mask, first_activity_date, activity_date, window_days) -%}
    {{ classify_activity_status(
        first_activity_date ~ ' = ' ~ activity_date,
        bitmask_any_day(mask, window_days, 0),
        bitmask_any_day(mask, window_days, 1)
    ) }}
{%- endmacro %}
