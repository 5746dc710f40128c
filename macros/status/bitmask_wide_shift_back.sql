{#- Shift a 127-day activity history `days` days into the past (x >> days): the newest `days` days drop out, the oldest become empty. -#}
{% macro bitmask_wide_shift_back(mask, days) -%}
    {{ return(adapter.dispatch('bitmask_wide_shift_back')(mask, days)) }}
{%- endmacro %}

{% macro default__bitmask_wide_shift_back(mask, days) -%}
    (({{ mask }}) >> ({{ days }}))
{%- endmacro %}

{% macro spark__bitmask_wide_shift_back(mask, days) -%}
    rpad(substr({{ mask }}, ({{ days }}) + 1), 127, '0')
{%- endmacro %}
