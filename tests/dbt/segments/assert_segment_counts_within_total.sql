-- Every segment row, of every segment_type (platform included), counts at most the
-- day's total users: DAU, WAU and MAU of a segment <= those of fct_active_user_fast.
-- Also fails when a day of the segment mart is missing from the rollup.

with

segments as (

    select * from {{ ref('agg_daily_segment_engagement') }}

),

totals as (

    select * from {{ ref('fct_active_user_fast') }}

),

segments_over_total as (

    select
        segments.activity_date,
        segments.segment_type,
        segments.segment_value,
        segments.dau,
        totals.dau as total_dau,
        segments.wau,
        totals.wau as total_wau,
        segments.mau,
        totals.mau as total_mau
    from segments
    left join totals
        on segments.activity_date = totals.activity_date
    where
        totals.activity_date is null
        or segments.dau > totals.dau
        or segments.wau > totals.wau
        or segments.mau > totals.mau

)

select * from segments_over_total
