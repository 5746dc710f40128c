-- The sum over users of days_active_l28 on D equals the sum of DAU over the 28 days
-- ending D (checked where all 28 days are inside the kept history).

with

rollup as (

    select * from {{ ref('fct_active_user_fast') }}

),

trailing_dau as (

    select
        today.activity_date,
        today.sum_days_active_l28,
        sum(window_day.dau) as dau_over_28_days,
        count(*) as days_in_window
    from rollup as today
    inner join rollup as window_day
        on
            today.activity_date >= window_day.activity_date
            and window_day.activity_date > today.activity_date - 28
    group by 1, 2

)

select *
from trailing_dau
where days_in_window = 28 and sum_days_active_l28 <> dau_over_28_days
