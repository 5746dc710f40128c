{#- Shift a 127-day activity history `days` days into the future, dropping days beyond bit 126 (never overflows). DuckDB: a HUGEINT; Spark: a 127-character '0'/'1' string (see bitmask_wide_type). -#}
{% macro bitmask_wide_shift(mask, days) -%}
    {{ return(adapter.dispatch('bitmask_wide_shift')(mask, days)) }}
{%- endmacro %}

{% macro default__bitmask_wide_shift(mask, days) -%}
    case
        when ({{ days }}) >= 127 then cast(0 as hugeint)
        when ({{ days }}) = 0 then cast({{ mask }} as hugeint)
        else (
            cast({{ mask }} as hugeint) & ((cast(1 as hugeint) << (127 - ({{ days }}))) - 1)
        ) << ({{ days }})
    end
{%- endmacro %}

{% macro spark__bitmask_wide_shift(mask, days) -%}
    substr(concat(repeat('0', least({{ days }}, 127)), {{ mask }}), 1, 127)
{%- endmacro %}
