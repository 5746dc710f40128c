{#
    One row per UTC activity day, from the first to the newest day with a valid view
    event: whether the day, its ISO week (Monday to Sunday, the week grain
    of MetricFlow on DuckDB) and its calendar month are complete, and whether the day
    has a full MAU window behind it. Read by the semantic layer (the activity_day
    entity: `--where "{{ Dimension('activity_day__is_complete_week') }}"`) and the
    dashboard, so partial periods and the warm-up are marked in one place.
#}

{%- set mau_window_days = var('engagement__mau_window_days') %}

with

view_events as (

    select * from {{ ref('fct_view_events') }}

),

time_spine as (

    select * from {{ ref('metricflow_time_spine') }}

),

event_clock as (

    {#
        The event-time watermark: the newest playback start seen. Not the newest arrival
        (the real-time marts' data clock): stragglers from offline devices arrive days
        after the rest, which would mark the partial newest day complete.
    #}
    select
        min(activity_date) as first_activity_date,
        max(start_timestamp) as newest_event_started_at
    from view_events

),

days as (

    select
        time_spine.date_day as activity_date,
        cast({{ dbt.date_trunc('week', 'time_spine.date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'time_spine.date_day') }} as date) as month_start_date,
        event_clock.first_activity_date,
        event_clock.newest_event_started_at
    from time_spine
    cross join event_clock
    where
        time_spine.date_day >= event_clock.first_activity_date
        and time_spine.date_day <= cast(event_clock.newest_event_started_at as date)

),

final as (

    select
        activity_date,
        week_start_date,
        month_start_date,
        newest_event_started_at,
        {# A period is complete once events started after its end (late arrivals can still add). #}
        cast({{ dbt.dateadd('day', 1, 'activity_date') }} as timestamp)
        <= newest_event_started_at as is_complete_day,
        cast({{ dbt.dateadd('day', 7, 'week_start_date') }} as timestamp)
        <= newest_event_started_at as is_complete_week,
        cast({{ dbt.dateadd('month', 1, 'month_start_date') }} as timestamp)
        <= newest_event_started_at as is_complete_month,
        {# Before a full MAU window exists, MAU (and stickiness) only count the days seen so far. #}
        {{ dbt.datediff('first_activity_date', 'activity_date', 'day') }}
        >= {{ mau_window_days }} - 1 as has_full_mau_window
    from days

)

select * from final
