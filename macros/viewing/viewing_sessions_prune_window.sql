{#- Post-hook of fct_viewing_sessions on an incremental run: remove the sessions that started before the viewing window (a literal date: a delete where rows can be deleted, else a drop of their session_date partitions). -#}
{% macro viewing_sessions_prune_window(history_window) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set window_start = get_max_value(history_window, 'window_start_date') -%}
    {%- if window_start is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set window_start = (window_start ~ '')[:10] -%}
    {%- if supports_row_deletes() -%}
        {{ return("delete from " ~ this ~ " where session_date < date '" ~ window_start ~ "'") }}
    {%- endif -%}
    {%- set stored_days_sql -%}
        select distinct session_date from {{ this }} where session_date < date '{{ window_start }}'
    {%- endset -%}
    {%- set days = [] -%}
    {%- for row in run_query(stored_days_sql).rows -%}
        {%- do days.append((row[0] ~ '')[:10]) -%}
    {%- endfor -%}
    {{ return(viewing_sessions_drop_partitions_sql(days)) }}
{%- endmacro %}
