{#- A 64-bit hash of an identifier, the join key of deduplication (equality of the identifier itself is still checked: a collision can never merge two events). -#}
{% macro event_key(expression) -%}
    {{ return(adapter.dispatch('event_key')(expression)) }}
{%- endmacro %}

{% macro default__event_key(expression) -%}
    hash({{ expression }})
{%- endmacro %}

{% macro spark__event_key(expression) -%}
    xxhash64({{ expression }})
{%- endmacro %}
