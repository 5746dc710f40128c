{#
    One row per ISO week (Monday start): weekly growth accounting ready for a stacked
    chart, counted from the per-user statuses of fct_user_lifecycle_periods (a user is
    weekly-active in week W when active on any day of W; statuses mirror the daily ones
    with W-1 in place of D-1); churned is stored as a negative number. A week is
    reported only when W and W-1 lie wholly in the observed complete days (W-1 is
    needed to tell retained/resurrected/churned apart).
#}

{%- set incomplete_days = var('engagement__retention_incomplete_days') %}

with

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

user_lifecycle_periods as (

    select * from {{ ref('fct_user_lifecycle_periods') }}

),

observed_window as (

    select
        min(activity_date) as observed_from_date,
        cast({{ dbt.dateadd('day', -incomplete_days, 'max(activity_date)') }} as date) as last_complete_date
    from daily_activity

),

user_week_statuses as (

    {# The per-user weekly statuses, computed once in fct_user_lifecycle_periods over every
       day; a reported week and the week before lie wholly in the complete days, so the
       newer, still filling days cannot change its counts. #}
    select
        user_id,
        period_start_date as week_start_date,
        is_period_active as is_weekly_active,
        was_active_previous_period as was_weekly_active_previous_week,
        lifecycle_status as weekly_lifecycle_status
    from user_lifecycle_periods
    where period_grain = 'week'

),

week_bounds as (

    {# W-1 must start on or after the first observed day (the first Monday on or after
       it is the Monday of the week holding its 7th day), so W is the week after. #}
    select
        cast(
            {{ dbt.dateadd('day', 7, dbt.date_trunc('week', dbt.dateadd('day', 6, 'observed_from_date'))) }}
            as date
        ) as first_reported_week_start_date,
        last_complete_date
    from observed_window

),

week_numbers as (

    {{ dbt.generate_series(1024) }}

),

reported_weeks as (

    {# Every week from the first reported one whose last day is complete. #}
    select
        cast(
            {{ dbt.dateadd('day', '7 * (week_numbers.generated_number - 1)',
                'week_bounds.first_reported_week_start_date') }}
            as date
        ) as week_start_date
    from week_bounds
    inner join week_numbers
        on
            {{ dbt.dateadd('day', '7 * (week_numbers.generated_number - 1) + 6',
                'week_bounds.first_reported_week_start_date') }}
            <= week_bounds.last_complete_date

),

weekly_counts as (

    select
        week_start_date,
        count(case when is_weekly_active then 1 end) as weekly_active_users,
        count(case when was_weekly_active_previous_week then 1 end) as previous_weekly_active_users,
        count(case when weekly_lifecycle_status = 'new' then 1 end) as new_users,
        count(case when weekly_lifecycle_status = 'retained' then 1 end) as retained_users,
        count(case when weekly_lifecycle_status = 'resurrected' then 1 end) as resurrected_users,
        count(case when weekly_lifecycle_status = 'churned' then 1 end) as churned_user_count
    from user_week_statuses
    group by 1

),

final as (

    select
        reported_weeks.week_start_date,
        cast({{ dbt.dateadd('day', 6, 'reported_weeks.week_start_date') }} as date) as week_end_date,
        coalesce(weekly_counts.weekly_active_users, 0) as weekly_active_users,
        coalesce(weekly_counts.previous_weekly_active_users, 0) as previous_weekly_active_users,
        coalesce(weekly_counts.new_users, 0) as new_users,
        coalesce(weekly_counts.retained_users, 0) as retained_users,
        coalesce(weekly_counts.resurrected_users, 0) as resurrected_users,
        -coalesce(weekly_counts.churned_user_count, 0) as churned_users,
        cast(coalesce(weekly_counts.new_users, 0) + coalesce(weekly_counts.resurrected_users, 0) as double)
        / nullif(weekly_counts.churned_user_count, 0) as quick_ratio
    from reported_weeks
    left join weekly_counts
        on reported_weeks.week_start_date = weekly_counts.week_start_date

)

select * from final
