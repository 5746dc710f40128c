{#- The days active in either of two 127-day activity histories (a | b). -#}
{% macro bitmask_wide_or(mask_a, mask_b) -%}
    {{ return(adapter.dispatch('bitmask_wide_or')(mask_a, mask_b)) }}
{%- endmacro %}

{% macro default__bitmask_wide_or(mask_a, mask_b) -%}
    (({{ mask_a }}) | ({{ mask_b }}))
{%- endmacro %}

{% macro spark__bitmask_wide_or(mask_a, mask_b) -%}
    array_join(transform(
        sequence(1, 127),
        position -> greatest(substr({{ mask_a }}, position, 1), substr({{ mask_b }}, position, 1))
    ), '')
{%- endmacro %}
