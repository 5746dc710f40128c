{#- The landed text fields of a record as one JSON object (keys: the column names, without a table qualifier), for a quarantine row of a record that did parse. -#}
{% macro landed_fields_json(fields) -%}
    {{ return(adapter.dispatch('landed_fields_json')(fields)) }}
{%- endmacro %}

{% macro default__landed_fields_json(fields) -%}
    cast(to_json(struct_pack(
        {%- for field in fields %}
        {{ field.split('.')[-1] }} := {{ field }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    )) as varchar)
{%- endmacro %}

{% macro spark__landed_fields_json(fields) -%}
    to_json(named_struct(
        {%- for field in fields %}
        '{{ field.split('.')[-1] }}', {{ field }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ))
{%- endmacro %}
