{#- First day fct_active_user_fast recomputes on an incremental run: the first day with active rows from ingest batches after its own newest one (a compile-time literal; none when nothing changed). -#}
{% macro active_user_rebuild_from() -%}
    {{ return(get_aggregate_value(
        ref('fct_daily_activity'), 'min(activity_date)',
        where='is_active and last_ingest_batch_id > ' ~ last_ingest_batch()
    )) }}
{%- endmacro %}
