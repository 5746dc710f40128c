{{
    config(
        materialized='incremental',
        incremental_strategy=upsert_strategy(),
        partition_by=date_partition('activity_date'),
        unique_key=['activity_date', 'user_id', 'platform', 'country'],
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'last_ingest_batch_id') }}",
        ],
    )
}}

-- depends_on: {{ ref('stg_landing__user_tombstones') }}

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

    {%- if is_incremental() %}
    {# Every event, old and new, of each user and day touched by the ingest batches not
       aggregated yet, so each touched (user, day) is recomputed whole and replaces its rows;
       days and users no new event touched are not read. Where the run overwrites partitions
       (insert_overwrite, plain Parquet on Spark) a touched day is recomputed for every user,
       so each overwritten day holds all its rows. #}
    select view_events.*
    from view_events
    inner join (
        select distinct
            {%- if incremental_overwrites() %}
            activity_date
            {%- else %}
            activity_date,
            user_id
            {%- endif %}
        from view_events
        where ingest_batch_id > {{ last_ingest_batch() }}
    ) as touched
        {%- if incremental_overwrites() %}
        on view_events.activity_date = touched.activity_date
        {%- else %}
        on
            view_events.activity_date = touched.activity_date
            and view_events.user_id = touched.user_id
        {%- endif %}
    {%- else %}
    select * from view_events
    {%- endif %}

),

final as (

    select
        activity_date,
        user_id,
        platform,
        country,
        count(case when is_qualifying_playback then 1 end) > 0 as is_active,
        {# Summed in whole milliseconds: a sum of doubles depends on the order the threads add them. #}
        cast(sum({{ whole_milliseconds('duration_seconds') }}) as double) / 1000 as time_spent_seconds,
        count(*) as total_views,
        count(case when event_type = 'playback' then 1 end) as playback_count,
        count(case when is_completed then 1 end) as completed_views,
        count(distinct session_id) as sessions,
        max(ingested_at) as last_ingested_at,
        max(ingest_batch_id) as last_ingest_batch_id
    from view_events_to_aggregate
    group by 1, 2, 3, 4

)

select * from final
