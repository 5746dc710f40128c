{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='activity_date',
    )
}}

{#
    One row per UTC day, user, platform and country the user watched from that day.
    Answers per-platform and per-country daily activity without scanning view events:
    a user on two platforms has two rows, so distinct counts by platform do not sum
    to the daily total. Same incremental rule as fct_daily_activity.
#}

with

view_events as (

    select * from {{ ref('fct_view_events') }}

),

view_events_to_aggregate as (

    select * from view_events
    {%- if is_incremental() %}
        {# Every event, old and new, of each date touched by events that arrived since the
           last run (minus the lookback), so each touched date is recomputed whole. #}
        where activity_date in (
            select activity_date from view_events
            where ingested_at > {{ arrival_watermark('last_ingested_at') }}
        )
    {%- endif %}

),


final as (

    select
        activity_date,
        user_id,
        platform,
        country,
        count(case when is_qualifying_playback then 1 end) > 0 as is_active,
        sum(duration_seconds) as time_spent_seconds,
        count(*) as total_views,
        count(case when event_type = 'playback' then 1 end) as playback_count,
        count(case when is_completed then 1 end) as completed_views,
        count(distinct session_id) as sessions,
        max(ingested_at) as last_ingested_at
    from view_events_to_aggregate
    group by 1, 2, 3, 4

)

select * from final
