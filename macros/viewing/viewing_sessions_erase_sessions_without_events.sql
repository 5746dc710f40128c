{#- Pre-hook of fct_viewing_sessions: after deletion requests recorded since its watermark batch (fct_privacy_erasures, which names no user), delete the stored sessions none of whose events is left in fct_view_events (the erased users'; erasure is the only delete there), from the requests' first affected day on. Empty on a full build, without new requests and where rows cannot be deleted. -#}
{% macro viewing_sessions_erase_sessions_without_events(view_events, erasures) -%}
    {%- if not execute or not is_incremental() or not supports_row_deletes() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set first_affected = get_aggregate_value(
        erasures, 'min(first_affected_date)', where='recorded_batch_id >= ' ~ last_ingest_batch()
    ) -%}
    {%- if first_affected is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set first_affected = (first_affected ~ '')[:10] -%}
    {%- set sql -%}
        delete from {{ this }}
        where
            session_date >= date '{{ first_affected }}'
            and session_id not in (
                select view_events.session_id from {{ view_events }} as view_events
                where view_events.activity_date >= date '{{ first_affected }}'
            )
    {%- endset -%}
    {{ return(sql) }}
{%- endmacro %}
