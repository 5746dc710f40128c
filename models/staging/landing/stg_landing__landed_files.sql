{#
    The file manifest, typed: one row per landed file and ingest batch that handled it
    (a file is handled once when it loads, or again when it changes or while it waits:
    see engagement.ingest.batch). `is_current` marks each file version's newest row.
#}

with

source as (

    select * from {{ source('landing', 'landed_files') }}

),

final as (

    select
        ingest_batch_id,
        file_name,
        file_version,
        file_kind,
        file_format,
        ingest_date,
        ingest_hour,
        size_bytes,
        modified_at as landed_at,
        sha256,
        file_status,
        file_reason,
        lines_read,
        lines_rejected_at_read,
        ingested_at as handled_at,
        row_number() over (
            partition by file_name, file_version order by ingest_batch_id desc
        ) = 1 as is_current
    from source

)

select * from final
