-- Nothing is silently lost: for every landed file (hence every ingest partition),
-- the lines in the file equal clean + duplicate + rejected lines after staging.
-- Reads the landing zone directly, independently of the staging model.

with

landed as (

    select
        regexp_extract(filename, 'view_events/.*$') as file_name,
        count(*) as landed_lines
    from {{ source('landing', 'view_events') }}
    group by 1

),

staged as (

    select
        file_name,
        count(case when record_status = 'clean' then 1 end) as clean_lines,
        count(case when record_status = 'duplicate' then 1 end) as duplicate_lines,
        count(case when record_status = 'rejected' then 1 end) as rejected_lines
    from {{ ref('stg_landing__view_events') }}
    group by 1

),

clean_in_fact as (

    select
        file_name,
        count(*) as fact_rows
    from {{ ref('fct_view_events') }}
    group by 1

)

select
    landed.file_name,
    landed.landed_lines,
    staged.clean_lines,
    staged.duplicate_lines,
    staged.rejected_lines,
    clean_in_fact.fact_rows
from landed
full outer join staged
    on landed.file_name = staged.file_name
left join clean_in_fact
    on coalesce(landed.file_name, staged.file_name) = clean_in_fact.file_name
where
    landed.landed_lines is distinct from (
        staged.clean_lines + staged.duplicate_lines + staged.rejected_lines
    )
    or coalesce(staged.clean_lines, 0) <> coalesce(clean_in_fact.fact_rows, 0)
