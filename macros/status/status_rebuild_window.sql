{#- The days and users an incremental run of dim_daily_user_status rebuilds, as compile-time literals (none when there is nothing to build). -#}
{% macro status_rebuild_window() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set activity = ref('fct_daily_activity') -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set watermark = last_ingest_batch('activity_last_ingest_batch_id') -%}
    {%- set new_rows = 'last_ingest_batch_id > ' ~ watermark -%}
    {#- Both read only the new batches' rows (zone maps on the batch id prune the rest). -#}
    {%- set changed_from = get_aggregate_value(activity, 'min(activity_date)', where='is_active and ' ~ new_rows) -%}
    {%- set new_until = get_aggregate_value(activity, 'max(activity_date)', where=new_rows) -%}
    {%- if new_until is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set probe = [changed_from or new_until, new_until] | min - one_day -%}
    {#- The newest stored day, read from the last days only (a literal filter prunes the rest). -#}
    {%- set stored_until = get_max_value(this, 'activity_date', where="activity_date >= date '" ~ probe ~ "'") -%}
    {%- if stored_until is none -%}
        {%- set stored_until = get_max_value(this, 'activity_date', default=probe) -%}
    {%- endif -%}
    {%- set build_until = [stored_until, new_until] | max -%}
    {%- set rebuild_from = [changed_from or (stored_until + one_day), stored_until + one_day] | min -%}
    {%- if rebuild_from > build_until -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({
        'watermark': watermark,
        'rebuild_from': rebuild_from,
        'stored_until': stored_until,
        'build_until': build_until,
    }) }}
{%- endmacro %}
