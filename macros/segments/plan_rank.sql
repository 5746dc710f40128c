{#- Order of the plans, cheapest first: basic 1, standard 2, premium 3 (NULL for anything else); tells an upgrade from a downgrade. -#}
{% macro plan_rank(expression) -%}
    case {{ expression }} when 'basic' then 1 when 'standard' then 2 when 'premium' then 3 end
{%- endmacro %}
