-- DAU(D) - DAU(D-1) = new + resurrected - churned, and the same identity for WAU
-- with the weekly statuses, for every pair of consecutive days in the rollup.

with

rollup as (

    select * from {{ ref('fct_active_user_fast') }}

),

consecutive_days as (

    select
        today.activity_date,
        today.dau - yesterday.dau as dau_change,
        today.new_users + today.resurrected_users - today.churned_users as daily_net_growth,
        today.wau - yesterday.wau as wau_change,
        today.weekly_new_users + today.weekly_resurrected_users - today.weekly_churned_users
            as weekly_net_growth
    from rollup as today
    inner join rollup as yesterday
        on today.activity_date = yesterday.activity_date + 1

)

select *
from consecutive_days
where dau_change <> daily_net_growth or wau_change <> weekly_net_growth
