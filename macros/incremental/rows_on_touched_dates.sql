{#- Emits two CTEs for an incremental model: `dates_to_rebuild` (every date touched by rows that arrived since the last run) and `<relation_cte>_to_aggregate` (all rows of those dates, old and new, so each date is recomputed whole). -#}
{% macro rows_on_touched_dates(
    relation_cte,
    date_column='activity_date',
    arrival_column='ingested_at',
    watermark_column='last_ingested_at'
) -%}
dates_to_rebuild as (

    select distinct {{ date_column }}
    from {{ relation_cte }}
    where {{ arrival_column }} > {{ arrival_watermark(watermark_column) }}

),

{{ relation_cte }}_to_aggregate as (

    select {{ relation_cte }}.*
    from {{ relation_cte }}
    inner join dates_to_rebuild
        on {{ relation_cte }}.{{ date_column }} = dates_to_rebuild.{{ date_column }}

)
{%- endmacro %}
