{# One row per landed file: how many lines were clean, duplicates or rejected (by reason). #}

with

view_events as (

    select * from {{ ref('stg_landing__view_events') }}

),

final as (

    select
        file_name,
        ingest_date,
        ingest_hour,
        count(*) as landed_records,
        count(case when record_status = 'clean' then 1 end) as clean_records,
        count(case when record_status = 'duplicate' then 1 end) as duplicate_records,
        count(case when record_status = 'rejected' then 1 end) as rejected_records,
    {% for reason in var('engagement__rejection_reasons') -%}
    count(case when rejection_reason = '{{ reason }}' then 1 end)
        as rejected_{{ reason }}_records{% if not loop.last %},{% endif %}
    {% endfor %}
    from view_events
    group by 1, 2, 3

)

select * from final
