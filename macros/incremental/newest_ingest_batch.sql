{#- SQL for the newest ingest batch in fct_daily_activity: the watermark a day-grain analysis model stores in `last_ingest_batch_id`. A compile-time literal on incremental runs (reading only rows newer than the model's own watermark); a scalar subquery on a full build (and in unit tests, where the ref is a fixture). -#}
{% macro newest_ingest_batch() -%}
    {%- set activity = ref('fct_daily_activity') -%}
    {%- if not is_incremental() -%}
        {{ return('(select coalesce(max(last_ingest_batch_id), 0) from ' ~ activity ~ ')') }}
    {%- endif -%}
    {%- set watermark = last_ingest_batch() -%}
    {{ return(get_max_value(
        activity, 'last_ingest_batch_id', default=watermark, where='last_ingest_batch_id > ' ~ watermark
    ) | int) }}
{%- endmacro %}
