{#
    One row per (activity_date, engagement_band): how the L28-active users of a day
    split into casual / regular / core / power users by their active days among the 28
    ending that day (docs block def_l28_engagement_band). Read from the L28 rows of
    agg_daily_days_active_histogram, so the bands sum to the L28-active users.
#}

with

histogram as (

    select * from {{ ref('agg_daily_days_active_histogram') }}
    where window_days = 28

),

band_counts as (

    select
        activity_date,
        engagement_band,
        min(days_active) as min_days_active,
        max(days_active) as max_days_active,
        sum(users) as users,
        max(window_active_users) as l28_active_users,
        max(mau) as mau,
        min(case when is_complete_window then 1 else 0 end) = 1 as is_complete_window
    from histogram
    group by 1, 2

),

final as (

    select
        activity_date,
        engagement_band,
        case engagement_band
            when 'casual' then 1
            when 'regular' then 2
            when 'core' then 3
            when 'power' then 4
        end as band_order,
        min_days_active,
        max_days_active,
        users,
        l28_active_users,
        mau,
        cast(users as double) / nullif(l28_active_users, 0) as share_of_l28_active_users,
        cast(users as double) / nullif(mau, 0) as share_of_mau,
        is_complete_window
    from band_counts

)

select * from final
