-- Unbounded retention never increases with the period: a member active in period N or
-- later is also active in period N-1 or later. Checked on the curves of both cohort bases
-- (int_cohort_retention_curves, which the two curve marts select from).

with

curves as (

    select * from {{ ref('int_cohort_retention_curves') }}

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
