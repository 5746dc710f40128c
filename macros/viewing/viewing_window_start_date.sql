{#- Aggregate expression: first day of the viewing marts' window, the last `engagement__viewing_history_days` days of `date_column` (never before its first day). -#}
{% macro viewing_window_start_date(date_column) -%}
    greatest(
        cast(
            {{ dbt.dateadd('day', '1 - ' ~ var('engagement__viewing_history_days', 90), 'max(' ~ date_column ~ ')') }}
            as date
        ),
        min({{ date_column }})
    )
{%- endmacro %}
