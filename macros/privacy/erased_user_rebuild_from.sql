{#- First day fct_active_user_fast recomputes because of users erased since its own newest batch: the earliest day they were counted on (a compile-time literal; none when nobody was erased). -#}
{% macro erased_user_rebuild_from(erasures) -%}
    {{ return(get_aggregate_value(
        erasures, 'min(first_affected_date)', where='recorded_batch_id > ' ~ last_ingest_batch()
    )) }}
{%- endmacro %}
