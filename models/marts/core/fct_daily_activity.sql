{{
    config(
        materialized='incremental',
        incremental_strategy=upsert_strategy(),
        partition_by=date_partition('activity_date'),
        unique_key=['activity_date', 'user_id'],
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'last_ingest_batch_id') }}",
        ],
    )
}}

-- depends_on: {{ ref('stg_landing__user_tombstones') }}

{#
    One row per user and UTC day with at least one valid view event.
    Incremental: every (user, day) touched by ingest batches not aggregated yet is
    recomputed from all its events and replaces its row (delete+insert on the key; merge on
    Spark with a table format); on plain Parquet every touched day is recomputed and its
    activity_date partition overwritten (insert_overwrite).
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

watch_time_by_platform as (

    select
        activity_date,
        user_id,
        platform,
        country,
        {# Summed in whole milliseconds: a sum of doubles depends on the order the threads add them. #}
        cast(sum({{ whole_milliseconds('duration_seconds') }}) as double) / 1000 as time_spent_seconds,
        max(start_timestamp) as last_view_started_at
    from view_events_to_aggregate
    group by 1, 2, 3, 4

),

watch_time_ranked as (

    {# The platform and country with most watch time that day; ties go to the latest view, then the name. #}
    select
        *,
        row_number() over (
            partition by activity_date, user_id
            order by time_spent_seconds desc, last_view_started_at desc, platform asc, country asc
        ) as watch_time_rank
    from watch_time_by_platform

),

main_platform_and_country as (

    select
        activity_date,
        user_id,
        platform,
        country
    from watch_time_ranked
    where watch_time_rank = 1

),

daily_totals as (

    select
        activity_date,
        user_id,
        {# Summed in whole milliseconds: a sum of doubles depends on the order the threads add them. #}
        cast(sum({{ whole_milliseconds('duration_seconds') }}) as double) / 1000 as time_spent_seconds,
        count(*) as total_views,
        count(case when event_type = 'playback' then 1 end) as playback_count,
        count(case when event_type = 'preview' then 1 end) as preview_count,
        count(case when is_completed then 1 end) as completed_views,
        count(case when is_qualifying_playback then 1 end) as qualifying_playback_count,
        count(distinct session_id) as sessions,
        count(distinct media_id) as distinct_media,
        count(distinct platform) as distinct_platforms,
        min(start_timestamp) as first_view_at,
        max(end_timestamp) as last_view_ended_at,
        max(ingested_at) as last_ingested_at,
        max(ingest_batch_id) as last_ingest_batch_id
    from view_events_to_aggregate
    group by 1, 2

),

final as (

    select
        daily_totals.activity_date,
        daily_totals.user_id,
        main_platform_and_country.platform,
        main_platform_and_country.country,
        daily_totals.qualifying_playback_count > 0 as is_active,
        daily_totals.time_spent_seconds,
        daily_totals.total_views,
        daily_totals.playback_count,
        daily_totals.preview_count,
        daily_totals.completed_views,
        daily_totals.qualifying_playback_count,
        daily_totals.sessions,
        daily_totals.distinct_media,
        daily_totals.distinct_platforms,
        daily_totals.first_view_at,
        daily_totals.last_view_ended_at,
        daily_totals.last_ingested_at,
        daily_totals.last_ingest_batch_id
    from daily_totals
    inner join main_platform_and_country
        on
            daily_totals.activity_date = main_platform_and_country.activity_date
            and daily_totals.user_id = main_platform_and_country.user_id

)

select * from final
