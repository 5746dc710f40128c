{#- The empty 127-day activity history (no active day). -#}
{% macro bitmask_wide_empty() -%}
    {{ return(adapter.dispatch('bitmask_wide_empty')()) }}
{%- endmacro %}

{% macro default__bitmask_wide_empty() -%}
    cast(0 as hugeint)
{%- endmacro %}

{% macro spark__bitmask_wide_empty() -%}
    repeat('0', 127)
{%- endmacro %}
