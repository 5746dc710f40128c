{#- Scalar subquery: the newest arrival this incremental model has processed, minus engagement__arrival_lookback_hours; rows that arrived later are new. -#}
{% macro arrival_watermark(column='last_ingested_at') -%}
    (
        select
            {{ dbt.dateadd(
                'hour',
                -1 * var('engagement__arrival_lookback_hours'),
                'coalesce(max(' ~ column ~ "), cast('1970-01-01' as timestamp))"
            ) }}
        from {{ this }}
    )
{%- endmacro %}
