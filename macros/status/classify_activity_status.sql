{#- Growth accounting, the one place its statuses are defined: new, retained, resurrected, churned or stale from three SQL booleans. -#}
{% macro classify_activity_status(is_first_active_period, is_active, was_active_previous_period) -%}
    case
        when {{ is_first_active_period }} then 'new'
        when ({{ is_active }}) and ({{ was_active_previous_period }}) then 'retained'
        when {{ is_active }} then 'resurrected'
        when {{ was_active_previous_period }} then 'churned'
        else 'stale'
    end
{%- endmacro %}
