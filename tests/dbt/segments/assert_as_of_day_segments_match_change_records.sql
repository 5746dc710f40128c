-- The as-of-day plan and country DAU of the segment mart equal a recount straight from the
-- raw change records of the landing zone (source landing.users, every ingest batch), written
-- without int_user_attribute_history: for each active user-day, the record with the latest
-- updated_at before the end of the day (ties: latest arrival, then file name, then change
-- type, the staging tie-break); no such record -> the documented fallback (sign-up country,
-- current plan). Fails on any (day, segment) whose DAU differs, on every kept day.

with

segments as (

    select * from {{ ref('agg_daily_segment_engagement') }}

),

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

users as (

    select * from {{ ref('dim_user') }}

),

raw_changes as (

    select
        {{ parse_integer_text('user_id') }} as user_id,
        upper(trim(country)) as country_code,
        lower(trim(plan)) as plan,
        lower(trim(change_type)) as change_type,
        {{ parse_iso_timestamp_utc('updated_at') }} as updated_at,
        {{ parse_iso_timestamp_utc('ingested_at') }} as ingested_at,
        file_name
    from {{ source('landing', 'users') }}

),

active_user_days as (

    select
        user_id,
        activity_date,
        cast({{ dbt.dateadd('day', 1, 'activity_date') }} as timestamp) as day_ends_at
    from user_status
    where is_active

),

records_before_day_end as (

    select
        active_user_days.user_id,
        active_user_days.activity_date,
        raw_changes.country_code,
        raw_changes.plan,
        row_number() over (
            partition by active_user_days.user_id, active_user_days.activity_date
            order by
                raw_changes.updated_at desc, raw_changes.ingested_at desc,
                raw_changes.file_name desc, raw_changes.change_type desc
        ) as record_rank
    from active_user_days
    inner join raw_changes
        on
            active_user_days.user_id = raw_changes.user_id
            and active_user_days.day_ends_at > raw_changes.updated_at

),

recounted_user_days as (

    select
        active_user_days.activity_date,
        coalesce(
            case when records.user_id is not null then records.country_code else users.sign_up_country end,
            'unknown'
        ) as country,
        coalesce(case when records.user_id is not null then records.plan else users.plan end, 'unknown')
            as plan
    from active_user_days
    left join records_before_day_end as records
        on
            active_user_days.user_id = records.user_id
            and active_user_days.activity_date = records.activity_date
            and records.record_rank = 1
    left join users
        on active_user_days.user_id = users.user_id

),

recount as (

    select
        activity_date,
        'plan' as segment_type,
        plan as segment_value,
        count(*) as dau
    from recounted_user_days
    group by 1, 2, 3
    union all
    select
        activity_date,
        'country' as segment_type,
        country as segment_value,
        count(*) as dau
    from recounted_user_days
    group by 1, 2, 3

),

mart as (

    select
        activity_date,
        segment_type,
        segment_value,
        dau
    from segments
    where segment_type in ('plan', 'country') and dau > 0

),

mismatches as (

    select
        coalesce(mart.activity_date, recount.activity_date) as activity_date,
        coalesce(mart.segment_type, recount.segment_type) as segment_type,
        coalesce(mart.segment_value, recount.segment_value) as segment_value,
        mart.dau as mart_dau,
        recount.dau as recount_dau
    from mart
    full outer join recount
        on
            mart.activity_date = recount.activity_date
            and mart.segment_type = recount.segment_type
            and mart.segment_value = recount.segment_value
    where mart.dau is distinct from recount.dau

)

select * from mismatches
