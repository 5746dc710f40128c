-- Nothing is silently lost: for every landed view-event file version, the lines the ingest
-- step read (file manifest) = the rows it wrote (ingest batches, read here directly, not
-- through staging) = clean + duplicate + rejected + erased lines after staging, and the clean lines
-- are exactly the file's rows in fct_view_events.

-- Erased lines become placeholders in staging in fct_privacy_erasures' post-hook, after
-- fct_view_events' pre-hook deleted their facts: reconcile only once both have run.
-- depends_on: {{ ref('fct_privacy_erasures') }}

with

manifest as (

    select
        file_name,
        file_version,
        lines_read
    from {{ ref('stg_landing__landed_files') }}
    where file_kind = 'view_events' and is_current and file_status <> 'deferred'

),

ingested as (

    select
        file_name,
        file_version,
        count(*) as ingested_rows
    from {{ source('landing', 'view_events') }}
    group by 1, 2

),

staged as (

    select
        file_name,
        file_version,
        count(case when record_status = 'clean' then 1 end) as clean_lines,
        count(case when record_status = 'duplicate' then 1 end) as duplicate_lines,
        count(case when record_status = 'rejected' then 1 end) as rejected_lines,
        count(case when record_status = 'erased' then 1 end) as erased_lines
    from {{ ref('stg_landing__view_events') }}
    group by 1, 2

),

clean_in_fact as (

    select
        staged_clean.file_name,
        staged_clean.file_version,
        count(*) as fact_rows
    from {{ ref('fct_view_events') }} as fact
    inner join {{ ref('stg_landing__view_events') }} as staged_clean
        on fact.event_id = staged_clean.event_id and staged_clean.record_status = 'clean'
    group by 1, 2

)

select
    coalesce(manifest.file_name, ingested.file_name, staged.file_name) as file_name,
    manifest.lines_read,
    ingested.ingested_rows,
    staged.clean_lines,
    staged.duplicate_lines,
    staged.rejected_lines,
    staged.erased_lines,
    clean_in_fact.fact_rows
from manifest
full outer join ingested
    on manifest.file_name = ingested.file_name and manifest.file_version = ingested.file_version
full outer join staged
    on
        coalesce(manifest.file_name, ingested.file_name) = staged.file_name
        and coalesce(manifest.file_version, ingested.file_version) = staged.file_version
left join clean_in_fact
    on staged.file_name = clean_in_fact.file_name and staged.file_version = clean_in_fact.file_version
where
    coalesce(manifest.lines_read, 0) <> coalesce(ingested.ingested_rows, 0)
    or coalesce(ingested.ingested_rows, 0)
    <> coalesce(staged.clean_lines + staged.duplicate_lines + staged.rejected_lines + staged.erased_lines, 0)
    or coalesce(staged.clean_lines, 0) <> coalesce(clean_in_fact.fact_rows, 0)
