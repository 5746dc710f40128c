{#- A duration in seconds (millisecond precision) as a whole number of milliseconds, so that sums are exact and do not depend on the order rows are added in. -#}
{% macro whole_milliseconds(seconds_expression) -%}
    cast(round({{ seconds_expression }} * 1000) as bigint)
{%- endmacro %}
