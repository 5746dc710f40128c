{#
    "DAU so far" by hour for the newest `engagement__realtime_days` activity days (UTC):
    per (activity_date, activity_hour, segment_type, segment_value) the users active in
    the hour and the distinct users active from 00:00 to the end of the hour. Active is
    the project definition (a qualifying playback that starts in the hour). Rebuilt whole
    by every micro-batch from a bounded scan of fct_view_events, so a retried batch can
    never leave it half-applied.
#}

{%- set realtime_days = var('engagement__realtime_days') %}

with

view_events as (

    select * from {{ ref('fct_view_events') }}

),

data_clock as (

    {# The data's clock: the newest arrival the warehouse has seen. #}
    select
        max(activity_date) as newest_activity_date,
        max(ingested_at) as data_clock_at
    from view_events

),

recent_qualifying_playbacks as (

    select
        view_events.user_id,
        view_events.activity_date,
        cast(extract(hour from view_events.start_timestamp) as integer) as activity_hour,
        view_events.platform,
        coalesce(view_events.country, 'unknown') as country
    from view_events
    cross join data_clock
    where
        view_events.activity_date > data_clock.newest_activity_date - {{ realtime_days }}
        and view_events.is_qualifying_playback

),

user_hours as (

    select distinct
        activity_date,
        activity_hour,
        'total' as segment_type,
        'all' as segment_value,
        user_id
    from recent_qualifying_playbacks
    union all
    select distinct
        activity_date,
        activity_hour,
        'platform' as segment_type,
        platform as segment_value,
        user_id
    from recent_qualifying_playbacks
    union all
    select distinct
        activity_date,
        activity_hour,
        'country' as segment_type,
        country as segment_value,
        user_id
    from recent_qualifying_playbacks

),

users_per_hour as (

    select
        activity_date,
        activity_hour,
        segment_type,
        segment_value,
        count(*) as active_users_in_hour
    from user_hours
    group by 1, 2, 3, 4

),

users_first_hour as (

    {# A user counts towards "so far" from the first hour they were active that day. #}
    select
        activity_date,
        segment_type,
        segment_value,
        user_id,
        min(activity_hour) as first_active_hour
    from user_hours
    group by 1, 2, 3, 4

),

users_newly_active_per_hour as (

    select
        activity_date,
        segment_type,
        segment_value,
        first_active_hour as activity_hour,
        count(*) as newly_active_users
    from users_first_hour
    group by 1, 2, 3, 4

),

segments as (

    select distinct
        activity_date,
        segment_type,
        segment_value
    from users_per_hour

),

hour_series as (

    {{ dbt.generate_series(24) }}

),

grid as (

    {# Every hour that has started by the data's clock, zero-filled. #}
    select
        segments.activity_date,
        hour_series.generated_number - 1 as activity_hour,
        segments.segment_type,
        segments.segment_value,
        {{ dbt.dateadd(
            'hour', 'hour_series.generated_number', 'cast(segments.activity_date as timestamp)'
        ) }} <= data_clock.data_clock_at as is_complete_hour
    from segments
    cross join hour_series
    cross join data_clock
    where
        {{ dbt.dateadd(
            'hour', 'hour_series.generated_number - 1', 'cast(segments.activity_date as timestamp)'
        ) }} <= data_clock.data_clock_at

),

final as (

    select
        grid.activity_date,
        grid.activity_hour,
        grid.segment_type,
        grid.segment_value,
        coalesce(users_per_hour.active_users_in_hour, 0) as active_users_in_hour,
        {# bigint: DuckDB's sum of BIGINT is a HUGEINT, which Spark has not. #}
        cast(sum(coalesce(users_newly_active_per_hour.newly_active_users, 0)) over (
            partition by grid.activity_date, grid.segment_type, grid.segment_value
            order by grid.activity_hour
            rows between unbounded preceding and current row
        ) as bigint) as cumulative_active_users,
        grid.is_complete_hour
    from grid
    left join users_per_hour
        on
            grid.activity_date = users_per_hour.activity_date
            and grid.activity_hour = users_per_hour.activity_hour
            and grid.segment_type = users_per_hour.segment_type
            and grid.segment_value = users_per_hour.segment_value
    left join users_newly_active_per_hour
        on
            grid.activity_date = users_newly_active_per_hour.activity_date
            and grid.activity_hour = users_newly_active_per_hour.activity_hour
            and grid.segment_type = users_newly_active_per_hour.segment_type
            and grid.segment_value = users_newly_active_per_hour.segment_value

)

select * from final
