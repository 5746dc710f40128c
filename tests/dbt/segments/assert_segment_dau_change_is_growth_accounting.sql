-- DAU(D) - DAU(D-1) = new + resurrected - churned within each segment that users never
-- move between: the total, the sign-up cohort, the current-value types, and platform with
-- its (user, platform) statuses. (As-of-day types and tenure band are excluded on purpose:
-- a user who changes segment leaves the old one without a churn; see the model docs.)

with

segments as (

    select * from {{ ref('agg_daily_segment_engagement') }}

),

stable_segments as (

    select
        *,
        min(activity_date) over () as first_report_day
    from segments
    where
        segment_type in (
            'total', 'signup_cohort', 'country_current', 'region_current', 'plan_current',
            'age_band_current', 'platform'
        )

),

consecutive_days as (

    select
        today.activity_date,
        today.segment_type,
        today.segment_value,
        today.dau - coalesce(yesterday.dau, 0) as dau_change,
        today.new_users + today.resurrected_users - today.churned_users as net_growth
    from stable_segments as today
    left join stable_segments as yesterday
        on
            today.segment_type = yesterday.segment_type
            and today.segment_value = yesterday.segment_value
            and today.activity_date = cast({{ dbt.dateadd('day', 1, 'yesterday.activity_date') }} as date)
    where today.activity_date > today.first_report_day

)

select *
from consecutive_days
where dau_change <> net_growth
