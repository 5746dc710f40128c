-- Consecutive reported weeks chain: previous_weekly_active_users of week W equals
-- weekly_active_users of week W-1, and every reported week follows the one before
-- (no gap), so the stacked chart has no silent holes.

with

lifecycle as (

    select * from {{ ref('agg_weekly_lifecycle') }}

),

consecutive_weeks as (

    select
        this_week.week_start_date,
        this_week.previous_weekly_active_users,
        previous_week.weekly_active_users as previous_week_active_users,
        previous_week.week_start_date as previous_week_start_date,
        min(this_week.week_start_date) over () as first_reported_week_start_date
    from lifecycle as this_week
    left join lifecycle as previous_week
        on
            previous_week.week_end_date
            = cast({{ dbt.dateadd('day', -1, 'this_week.week_start_date') }} as date)

)

select *
from consecutive_weeks
where
    (week_start_date > first_reported_week_start_date and previous_week_start_date is null)
    or previous_weekly_active_users <> previous_week_active_users
