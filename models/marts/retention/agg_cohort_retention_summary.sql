{#
    One row per (cohort_basis, cohort_grain, cohort_start): day-1/7/14/28 retention side
    by side. Day N is counted from each member's own cohort day, also in week cohorts,
    and is NULL until it is complete for every member of the cohort.
#}

with

cohort_members as (

    select * from {{ ref('dim_retention_cohort_member') }}

),

member_activity as (

    select * from {{ ref('fct_retention_cohort_member_activity') }}

),

member_summary_days as (

    {# One row per member and grain, with a 0/1 flag per summary day number. #}
    select
        cohort_members.cohort_basis,
        cohort_members.cohort_grain,
        cohort_members.cohort_start,
        cohort_members.user_id,
        cohort_members.complete_days_after_cohort,
        cohort_members.last_active_day_number,
        max(case when member_activity.day_number = 1 then 1 else 0 end) as is_active_d1,
        max(case when member_activity.day_number = 7 then 1 else 0 end) as is_active_d7,
        max(case when member_activity.day_number = 14 then 1 else 0 end) as is_active_d14,
        max(case when member_activity.day_number = 28 then 1 else 0 end) as is_active_d28
    from cohort_members
    left join member_activity
        on
            cohort_members.cohort_basis = member_activity.cohort_basis
            and cohort_members.user_id = member_activity.user_id
            and member_activity.day_number in (1, 7, 14, 28)
    group by 1, 2, 3, 4, 5, 6

),

cohorts as (

    select
        cohort_basis,
        cohort_grain,
        cohort_start,
        complete_days_after_cohort,
        count(*) as cohort_size,
        sum(is_active_d1) as active_users_d1,
        count(case when last_active_day_number >= 1 then 1 end) as unbounded_active_users_d1,
        sum(is_active_d7) as active_users_d7,
        count(case when last_active_day_number >= 7 then 1 end) as unbounded_active_users_d7,
        sum(is_active_d14) as active_users_d14,
        count(case when last_active_day_number >= 14 then 1 end) as unbounded_active_users_d14,
        sum(is_active_d28) as active_users_d28,
        count(case when last_active_day_number >= 28 then 1 end) as unbounded_active_users_d28
    from member_summary_days
    group by 1, 2, 3, 4

),

final as (

    select
        cohort_basis,
        cohort_grain,
        cohort_start,
        cohort_size,
        case
            when complete_days_after_cohort >= 1
                then cast(active_users_d1 as double) / cohort_size
        end as d1_retention_rate,
        case
            when complete_days_after_cohort >= 7
                then cast(active_users_d7 as double) / cohort_size
        end as d7_retention_rate,
        case
            when complete_days_after_cohort >= 14
                then cast(active_users_d14 as double) / cohort_size
        end as d14_retention_rate,
        case
            when complete_days_after_cohort >= 28
                then cast(active_users_d28 as double) / cohort_size
        end as d28_retention_rate,
        case
            when complete_days_after_cohort >= 1
                then cast(unbounded_active_users_d1 as double) / cohort_size
        end as d1_unbounded_retention_rate,
        case
            when complete_days_after_cohort >= 7
                then cast(unbounded_active_users_d7 as double) / cohort_size
        end as d7_unbounded_retention_rate,
        case
            when complete_days_after_cohort >= 14
                then cast(unbounded_active_users_d14 as double) / cohort_size
        end as d14_unbounded_retention_rate,
        case
            when complete_days_after_cohort >= 28
                then cast(unbounded_active_users_d28 as double) / cohort_size
        end as d28_unbounded_retention_rate
    from cohorts

)

select * from final
