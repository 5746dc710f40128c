{#
    Each day has the four bands, their users sum to the L28-active users and their shares
    to 1. Returns the days where that fails.
#}

with

bands as (

    select * from {{ ref('agg_daily_l28_engagement_bands') }}

),

daily_totals as (

    select
        activity_date,
        count(*) as band_rows,
        sum(users) as band_users,
        max(l28_active_users) as l28_active_users,
        sum(coalesce(share_of_l28_active_users, 0)) as share_total
    from bands
    group by 1

)

select * from daily_totals
where
    band_rows <> 4
    or band_users <> l28_active_users
    or (l28_active_users > 0 and abs(share_total - 1) > 1e-9)
