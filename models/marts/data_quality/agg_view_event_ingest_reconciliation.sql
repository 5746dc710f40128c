{#
    One row per landed view-event file version: what the ingest step did with it (file
    manifest) and how many of its lines were clean, duplicates or rejected (by reason).
    landed = clean + duplicate + rejected for every file; a quarantined file shows its
    reason and the lines that could still be read; a deferred one waits with 0 lines.
#}

with

landed_files as (

    select * from {{ ref('stg_landing__landed_files') }}
    where file_kind = 'view_events' and is_current

),

view_events as (

    select * from {{ ref('stg_landing__view_events') }}

),

staged_counts as (

    select
        file_name,
        file_version,
        count(*) as landed_records,
        count(case when record_status = 'clean' then 1 end) as clean_records,
        count(case when record_status = 'duplicate' then 1 end) as duplicate_records,
        count(case when record_status = 'rejected' then 1 end) as rejected_records,
    {% for reason in var('engagement__rejection_reasons') -%}
    count(case when rejection_reason = '{{ reason }}' then 1 end)
        as rejected_{{ reason }}_records{% if not loop.last %},{% endif %}
    {% endfor %}
    from view_events
    group by 1, 2

),

final as (

    select
        landed_files.file_name,
        landed_files.file_version,
        landed_files.ingest_date,
        landed_files.ingest_hour,
        landed_files.ingest_batch_id,
        landed_files.file_status,
        landed_files.file_reason,
        landed_files.lines_read,
        coalesce(staged_counts.landed_records, 0) as landed_records,
        coalesce(staged_counts.clean_records, 0) as clean_records,
        coalesce(staged_counts.duplicate_records, 0) as duplicate_records,
        coalesce(staged_counts.rejected_records, 0) as rejected_records,
    {% for reason in var('engagement__rejection_reasons') -%}
    coalesce(staged_counts.rejected_{{ reason }}_records, 0)
        as rejected_{{ reason }}_records{% if not loop.last %},{% endif %}
    {% endfor %}
    from landed_files
    left join staged_counts
        on
            landed_files.file_name = staged_counts.file_name
            and landed_files.file_version = staged_counts.file_version

)

select * from final
