{#- Pre-hook of fct_viewing_sessions where the run overwrites session_date partitions (plain Parquet on Spark): drop the stored days whose sessions the run all rebuilds, which it might leave empty (every session moved to an earlier day) and so would not overwrite. Empty elsewhere. -#}
{% macro viewing_sessions_drop_days(view_events, history_window) -%}
    {%- if not execute or not is_incremental() or not incremental_overwrites() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rebuild = viewing_sessions_rebuild(view_events, history_window) -%}
    {{ return(viewing_sessions_drop_partitions_sql(rebuild.drop_days)) }}
{%- endmacro %}
