{#- The columns of stg_landing__view_events an erased line keeps: where it came from, nothing about the person. -#}
{% macro erased_view_event_kept_columns() -%}
    {{ return(['record_id', 'ingest_batch_id', 'file_name', 'file_version', 'line_number', 'ingest_date', 'ingest_hour']) }}
{%- endmacro %}

{#- The columns of stg_landing__view_events, after claims_event_id, that are NULL on an erased line (which also has record_status 'erased', rejection_reason NULL and claims_event_id false). -#}
{% macro erased_view_event_payload_columns() -%}
    {{ return([
        'event_key', 'event_id', 'session_id', 'user_id', 'media_id', 'event_type',
        'started_at', 'ended_at', 'position_start_seconds', 'position_end_seconds', 'platform',
        'country_code', 'city', 'device_id', 'app_version', 'startup_ms', 'rebuffer_count',
        'rebuffer_ms', 'ingested_at', 'raw_record',
    ]) }}
{%- endmacro %}

{#- The column values an erased line of stg_landing__view_events gets (for an UPDATE of lines staged before the request). -#}
{% macro erased_view_event_values() -%}
    {%- set values = {'record_status': "'erased'", 'rejection_reason': 'null', 'claims_event_id': 'false'} -%}
    {%- for column in erased_view_event_payload_columns() -%}
        {%- do values.update({column: 'null'}) -%}
    {%- endfor -%}
    {{ return(values) }}
{%- endmacro %}
