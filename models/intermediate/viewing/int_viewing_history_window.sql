{#
    One row: the days the viewing marts cover, the last `engagement__viewing_history_days`
    (90) days of fct_view_events ending on its newest activity_date, never before its
    first day. The one definition of that window: fct_viewing_sessions,
    agg_title_performance, agg_weekly_playback_qoe and agg_weekly_qoe_churn read it.
#}

with

view_events as (

    select activity_date from {{ ref('fct_view_events') }}

),

final as (

    select
        greatest(
            cast(
                {{ dbt.dateadd(
                    'day', '1 - ' ~ var('engagement__viewing_history_days'), 'max(activity_date)'
                ) }} as date
            ),
            min(activity_date)
        ) as window_start_date,
        max(activity_date) as window_end_date
    from view_events

)

select * from final
