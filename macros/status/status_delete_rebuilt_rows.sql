{#- Pre-hook of dim_daily_user_status: delete the rows its incremental run rebuilds (changed users from the first changed day, every user on new days). -#}
{% macro status_delete_rebuilt_rows() -%}
    {%- set window = status_rebuild_window() -%}
    {%- if window is none -%}
        select 1
    {%- else -%}
        delete from {{ this }}
        where
            activity_date >= date '{{ window.rebuild_from }}'
            and (
                activity_date > date '{{ window.stored_until }}'
                or user_id in (
                    select user_id from {{ ref('fct_daily_activity') }}
                    where is_active and last_ingest_batch_id > {{ window.watermark }}
                )
            )
    {%- endif -%}
{%- endmacro %}
