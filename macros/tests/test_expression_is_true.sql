{#- dbt_utils-compatible generic test: fails for every row where `expression` is not true (optionally only rows matching `where`). -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
{% if column_name is none -%}
    where not ({{ expression }})
{%- else -%}
    where not ({{ column_name }} {{ expression }})
{%- endif %}

{% endtest %}
