{#- Aggregate: the days active in any of a group's 127-day activity histories (bit_or). -#}
{% macro bitmask_wide_or_agg(mask) -%}
    {{ return(adapter.dispatch('bitmask_wide_or_agg')(mask)) }}
{%- endmacro %}

{% macro default__bitmask_wide_or_agg(mask) -%}
    bit_or({{ mask }})
{%- endmacro %}

{#- Per position the greatest character of the group ('1' > '0'): max over the exploded positions
    would need a join, so the masks are collected and folded. -#}
{% macro spark__bitmask_wide_or_agg(mask) -%}
    aggregate(
        collect_list({{ mask }}),
        repeat('0', 127),
        (folded, next_mask) -> {{ spark__bitmask_wide_or('folded', 'next_mask') }}
    )
{%- endmacro %}
