{#
    One row per (cohort_basis, cohort_grain, cohort_start, period_number) of every
    reportable cohort, complete periods only: cohort size, on-period and unbounded
    retention. Both bases ('signup', 'first_activity') in one pass; the curve marts
    agg_signup_cohort_retention_curve and agg_first_activity_cohort_retention_curve
    each select one basis.
#}

{%- set max_day_number = var('engagement__retention_max_day_number') -%}

with

cohort_members as (

    select * from {{ ref('dim_retention_cohort_member') }}

),

member_activity as (

    select * from {{ ref('fct_retention_cohort_member_activity') }}

),

period_numbers as (

    {{ dbt.generate_series(max_day_number + 1) }}

),

cohorts as (

    select
        cohort_basis,
        cohort_grain,
        cohort_start,
        period_length_days,
        complete_days_after_cohort,
        count(*) as cohort_size
    from cohort_members
    group by 1, 2, 3, 4, 5

),

cohort_periods as (

    {# Period N covers each member's day numbers N*L .. N*L+L-1 (L = 1 day or 7 days);
       it is reported when its last day is complete for every member and its first
       day is within engagement__retention_max_day_number. #}
    select
        cohorts.cohort_basis,
        cohorts.cohort_grain,
        cohorts.cohort_start,
        cohorts.cohort_size,
        cast(period_numbers.generated_number - 1 as integer) as period_number
    from cohorts
    inner join period_numbers
        on
            (period_numbers.generated_number - 1) * cohorts.period_length_days <= {{ max_day_number }}
            and period_numbers.generated_number * cohorts.period_length_days - 1
            <= cohorts.complete_days_after_cohort

),

active_by_period as (

    select
        cohort_members.cohort_basis,
        cohort_members.cohort_grain,
        cohort_members.cohort_start,
        cast(floor(member_activity.day_number / cohort_members.period_length_days) as integer)
            as period_number,
        count(distinct member_activity.user_id) as active_users
    from cohort_members
    inner join member_activity
        on
            cohort_members.cohort_basis = member_activity.cohort_basis
            and cohort_members.user_id = member_activity.user_id
    group by 1, 2, 3, 4

),

last_active_periods as (

    select
        cohort_basis,
        cohort_grain,
        cohort_start,
        cast(floor(last_active_day_number / period_length_days) as integer) as last_active_period_number,
        count(*) as members
    from cohort_members
    where last_active_day_number is not null
    group by 1, 2, 3, 4

),

unbounded_active_by_period as (

    {# Active in period N or in any later complete day observed (no horizon cap). #}
    select
        cohort_periods.cohort_basis,
        cohort_periods.cohort_grain,
        cohort_periods.cohort_start,
        cohort_periods.period_number,
        sum(last_active_periods.members) as unbounded_active_users
    from cohort_periods
    inner join last_active_periods
        on
            cohort_periods.cohort_basis = last_active_periods.cohort_basis
            and cohort_periods.cohort_grain = last_active_periods.cohort_grain
            and cohort_periods.cohort_start = last_active_periods.cohort_start
            and cohort_periods.period_number <= last_active_periods.last_active_period_number
    group by 1, 2, 3, 4

),

final as (

    select
        cohort_periods.cohort_basis,
        cohort_periods.cohort_grain,
        cohort_periods.cohort_start,
        cohort_periods.period_number,
        cohort_periods.cohort_size,
        coalesce(active_by_period.active_users, 0) as active_users,
        cast(coalesce(active_by_period.active_users, 0) as double) / cohort_periods.cohort_size
            as retention_rate,
        cast(coalesce(unbounded_active_by_period.unbounded_active_users, 0) as bigint)
            as unbounded_active_users,
        cast(coalesce(unbounded_active_by_period.unbounded_active_users, 0) as double)
        / cohort_periods.cohort_size as unbounded_retention_rate
    from cohort_periods
    left join active_by_period
        on
            cohort_periods.cohort_basis = active_by_period.cohort_basis
            and cohort_periods.cohort_grain = active_by_period.cohort_grain
            and cohort_periods.cohort_start = active_by_period.cohort_start
            and cohort_periods.period_number = active_by_period.period_number
    left join unbounded_active_by_period
        on
            cohort_periods.cohort_basis = unbounded_active_by_period.cohort_basis
            and cohort_periods.cohort_grain = unbounded_active_by_period.cohort_grain
            and cohort_periods.cohort_start = unbounded_active_by_period.cohort_start
            and cohort_periods.period_number = unbounded_active_by_period.period_number

)

select * from final
