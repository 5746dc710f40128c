{#- Post-hook SQL that drops the days older than the kept status history (engagement__status_history_days before the newest activity day) from a model with one row per user and day: dim_daily_user_status and the analysis models built on its days. Empty on a full build and where rows cannot be deleted. -#}
{% macro prune_to_status_history() -%}
    {%- if not execute or not is_incremental() or not supports_row_deletes() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set newest = get_max_value(ref('fct_daily_activity'), 'activity_date') -%}
    {%- if newest is none -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(
        "delete from " ~ this ~ " where activity_date <= date '" ~ newest ~ "' - "
        ~ var('engagement__status_history_days')
    ) }}
{%- endmacro %}
