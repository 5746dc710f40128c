{#- Pre-hook SQL that deletes from `this` every row of the users on the suppression list recorded at or after this model's watermark batch (empty when there are none; on a full build, which reads erased inputs; and where rows cannot be deleted: plain Parquet on Spark). -#}
{% macro erase_tombstoned_users(tombstones, watermark_column, user_column='user_id') -%}
    {%- if not execute or not is_incremental() or not supports_row_deletes() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set watermark = get_max_value(this, watermark_column, default=0) | int -%}
    {%- set pending_filter = 'recorded_batch_id >= ' ~ watermark -%}
    {%- set pending = get_aggregate_value(tombstones, 'count(*)', default=0, where=pending_filter) | int -%}
    {%- if pending == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set sql -%}
        delete from {{ this }}
        where {{ user_column }} in (
            select tombstones.user_id from {{ tombstones }} as tombstones where tombstones.{{ pending_filter }}
        )
    {%- endset -%}
    {{ return(sql) }}
{%- endmacro %}
