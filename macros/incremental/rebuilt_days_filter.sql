{#- Predicate on a date column for the rows a day-grain analysis model reads: `true` on a full build, `false` when an incremental run has nothing to rebuild, else a literal `column >= date` (rebuild_from minus `days_before`) that prunes. -#}
{% macro rebuilt_days_filter(column, rebuild_from, days_before=0) -%}
    {%- if not is_incremental() -%}
        true
    {%- elif rebuild_from is none -%}
        false
    {%- else -%}
        {{ column }} >= date '{{ rebuild_from - modules.datetime.timedelta(days=days_before) }}'
    {%- endif -%}
{%- endmacro %}
