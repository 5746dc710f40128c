-- Unbounded retention never increases with the period: a member active in period N or
-- later is also active in period N-1 or later. Checked on both retention curves.

with

signup_curve as (

    select * from {{ ref('agg_signup_cohort_retention_curve') }}

),

first_activity_curve as (

    select * from {{ ref('agg_first_activity_cohort_retention_curve') }}

),

curves as (

    select
        'signup' as cohort_basis,
        cohort_grain,
        cohort_start,
        period_number,
        unbounded_active_users
    from signup_curve

    union all

    select
        'first_activity' as cohort_basis,
        cohort_grain,
        cohort_start,
        period_number,
        unbounded_active_users
    from first_activity_curve

),

consecutive_periods as (

    select
        this_period.cohort_basis,
        this_period.cohort_grain,
        this_period.cohort_start,
        this_period.period_number,
        this_period.unbounded_active_users,
        previous_period.unbounded_active_users as previous_unbounded_active_users
    from curves as this_period
    left join curves as previous_period
        on
            this_period.cohort_basis = previous_period.cohort_basis
            and this_period.cohort_grain = previous_period.cohort_grain
            and this_period.cohort_start = previous_period.cohort_start
            and this_period.period_number = previous_period.period_number + 1

)

select *
from consecutive_periods
where
    (period_number > 0 and previous_unbounded_active_users is null)
    or unbounded_active_users > previous_unbounded_active_users
