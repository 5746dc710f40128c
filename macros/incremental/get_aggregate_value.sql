{#- Run one aggregate over a relation at compile time and return its value (or `default` when NULL, not built yet or not executing). -#}
{% macro get_aggregate_value(relation, aggregate, default=none, where=none) -%}
    {#- A relation not built yet (a first build, the lint step's empty warehouse) has no value:
        the model's own SQL still fails at run time if it reads it. -#}
    {%- if not execute or relation is none or load_relation(relation) is none -%}
        {{ return(default) }}
    {%- endif -%}
    {%- set sql -%}
        select {{ aggregate }} from {{ relation }}{% if where %} where {{ where }}{% endif %}
    {%- endset -%}
    {%- set value = run_query(sql).columns[0].values()[0] -%}
    {{ return(default if value is none else value) }}
{%- endmacro %}
