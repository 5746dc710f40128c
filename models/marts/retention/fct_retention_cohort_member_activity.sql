{#
    One row per (cohort_basis, user_id, activity_date) on which a member of a reportable
    cohort was active, from their cohort day to the last complete day.
    day_number = days from the member's own cohort day (0 = the cohort day itself).
    Every member of a reportable week cohort is also in a reportable day cohort, so the
    day-grain members carry every member once per basis.
#}

with

cohort_members as (

    select * from {{ ref('dim_retention_cohort_member') }}
    where cohort_grain = 'day'

),

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

member_active_days as (

    select
        cohort_members.cohort_basis,
        cohort_members.user_id,
        daily_activity.activity_date,
        cohort_members.cohort_date
    from cohort_members
    inner join daily_activity
        on
            cohort_members.user_id = daily_activity.user_id
            and cohort_members.cohort_date <= daily_activity.activity_date
            and cohort_members.last_complete_date >= daily_activity.activity_date
    where daily_activity.is_active

),

final as (

    select
        *,
        {{ dbt.datediff('cohort_date', 'activity_date', 'day') }}
            as day_number
    from member_active_days

)

select * from final
