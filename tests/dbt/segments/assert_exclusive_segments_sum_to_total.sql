-- For every single-valued segment type (each user in exactly one segment per day: country,
-- region, plan, age band as of the day and current, signup cohort, tenure band, total),
-- the segments' DAU, WAU, MAU and growth counts sum to fct_active_user_fast, on every day,
-- and every such type is present on every day. Platform is excluded: it is multi-valued.

{%- set exclusive_segment_types = [
    'total', 'country', 'country_current', 'region', 'region_current', 'plan', 'plan_current',
    'age_band', 'age_band_current', 'signup_cohort', 'tenure_band',
] %}

with

segments as (

    select * from {{ ref('agg_daily_segment_engagement') }}

),

totals as (

    select * from {{ ref('fct_active_user_fast') }}

),

segment_types as (

    select 'total' as segment_type
    {%- for segment_type in exclusive_segment_types[1:] %}
    union all
    select '{{ segment_type }}' as segment_type
    {%- endfor %}

),

report_days as (

    select activity_date
    from segments
    group by 1

),

segment_sums as (

    select
        activity_date,
        segment_type,
        sum(dau) as dau,
        sum(wau) as wau,
        sum(mau) as mau,
        sum(new_users) as new_users,
        sum(retained_users) as retained_users,
        sum(resurrected_users) as resurrected_users,
        sum(churned_users) as churned_users,
        sum(stale_users) as stale_users
    from segments
    where is_exclusive_segment_type
    group by 1, 2

),

expected as (

    select
        report_days.activity_date,
        segment_types.segment_type
    from report_days
    cross join segment_types

),

mismatches as (

    select
        expected.activity_date,
        expected.segment_type,
        segment_sums.dau,
        totals.dau as total_dau,
        segment_sums.mau,
        totals.mau as total_mau
    from expected
    left join segment_sums
        on
            expected.activity_date = segment_sums.activity_date
            and expected.segment_type = segment_sums.segment_type
    left join totals
        on expected.activity_date = totals.activity_date
    where
        segment_sums.activity_date is null
        or totals.activity_date is null
        or segment_sums.dau <> totals.dau
        or segment_sums.wau <> totals.wau
        or segment_sums.mau <> totals.mau
        or segment_sums.new_users <> totals.new_users
        or segment_sums.retained_users <> totals.retained_users
        or segment_sums.resurrected_users <> totals.resurrected_users
        or segment_sums.churned_users <> totals.churned_users
        or segment_sums.stale_users <> totals.stale_users

)

select * from mismatches
