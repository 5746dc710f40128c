-- DAU in the rollup equals the distinct active users in fct_daily_activity, day by day:
-- the cumulative state never drifts from the facts it summarises.

with

rollup as (

    select * from {{ ref('fct_active_user_fast') }}

),

activity as (

    select
        activity_date,
        count(distinct user_id) as active_users
    from {{ ref('fct_daily_activity') }}
    where is_active
    group by 1

)

select
    rollup.activity_date,
    rollup.dau,
    activity.active_users
from rollup
left join activity
    on rollup.activity_date = activity.activity_date
where rollup.dau <> coalesce(activity.active_users, 0)
