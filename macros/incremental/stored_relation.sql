{#- The stored table of another model of this project, resolved from the graph without ref() (the back edge of a cumulative loop, which dbt's DAG cannot hold), or none when it is not built yet or not executing. -#}
{% macro stored_relation(model_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {{ return(load_relation(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias))) }}
{%- endmacro %}
