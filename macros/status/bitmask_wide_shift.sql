{#- Shift a 127-bit (HUGEINT) activity history `days` days into the future, dropping bits beyond bit 126 (never overflows). -#}
{% macro bitmask_wide_shift(mask, days) -%}
    case
        when ({{ days }}) >= 127 then cast(0 as hugeint)
        when ({{ days }}) = 0 then cast({{ mask }} as hugeint)
        else (
            cast({{ mask }} as hugeint) & ((cast(1 as hugeint) << (127 - ({{ days }}))) - 1)
        ) << ({{ days }})
    end
{%- endmacro %}
