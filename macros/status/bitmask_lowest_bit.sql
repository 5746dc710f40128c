{#- Index of the lowest set bit of a non-zero integer mask (0 = bit 0): how many days ago the latest active day of the mask was. -#}
{% macro bitmask_lowest_bit(mask) -%}
    cast(bit_count((({{ mask }}) & -({{ mask }})) - 1) as integer)
{%- endmacro %}
