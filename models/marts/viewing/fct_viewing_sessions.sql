{{
    config(
        materialized='incremental',
        incremental_strategy=upsert_strategy(),
        partition_by=date_partition('session_date'),
        unique_key='session_id',
        pre_hook=[
            "{{ viewing_sessions_erase_sessions_without_events(ref('fct_view_events'), ref('fct_privacy_erasures')) }}",
            "{{ viewing_sessions_drop_days(ref('fct_view_events'), ref('int_viewing_history_window')) }}",
        ],
        post_hook=[
            "{{ viewing_sessions_prune_window(ref('int_viewing_history_window')) }}",
        ],
    )
}}

-- depends_on: {{ ref('fct_privacy_erasures') }}

{#
    One row per viewing session (session_id) that started within the last
    `engagement__viewing_history_days` days of data (ending on the newest activity_date).
    Events are read from one day earlier so a session started just before the window
    edge is never cut in half; sessions are kept by their own start date.
    Binge rule (exact): at least `engagement__binge_min_episodes` (3) DISTINCT episode
    media_ids of ONE series_id among the session's playback events (previews never count).

    Incremental (viewing_sessions_rebuild: every bound a compile-time literal, so DuckDB
    prunes by zone map and no run reads the whole window): the sessions with events from
    ingest batches newer than the stored last_ingest_batch_id are recomputed from all their
    events (read from the earliest stored session_date of those sessions or the earliest new
    event day, whichever is first) and replace their rows (delete+insert on session_id; merge
    on Spark with a table format); a late event may move a session to an earlier day. On plain
    Parquet every session of the days those sessions start on, before and after, is
    recomputed and its session_date partition overwritten. The post-hook removes the sessions
    that started before the window; a pre-hook deletes the sessions of users erased since the
    last run (their events left fct_view_events; the suppression list is private to the
    platform group, fct_privacy_erasures says when and from which day).
#}

{%- set rebuild = viewing_sessions_rebuild(ref('fct_view_events'), ref('int_viewing_history_window')) %}

with

view_events as (

    select
        event_id,
        session_id,
        event_type,
        user_id,
        media_id,
        start_timestamp,
        end_timestamp,
        activity_date,
        duration_seconds,
        platform,
        country,
        is_completed,
        is_qualifying_playback,
        ingest_batch_id
    from {{ ref('fct_view_events') }}
    {%- if rebuild is not none and rebuild.read_from is none %}
    where false
    {%- elif rebuild is not none %}
    where activity_date >= date '{{ rebuild.read_from }}'
    {%- if rebuild.also_read_day %}
    {# A second scan, not an OR: each literal range prunes by zone map on its own. #}
    union all
    select
        event_id,
        session_id,
        event_type,
        user_id,
        media_id,
        start_timestamp,
        end_timestamp,
        activity_date,
        duration_seconds,
        platform,
        country,
        is_completed,
        is_qualifying_playback,
        ingest_batch_id
    from {{ ref('fct_view_events') }}
    where activity_date = date '{{ rebuild.also_read_day }}'
    {%- endif %}
    {%- endif %}

),

media as (

    select * from {{ ref('dim_media') }}

),

country_regions as (

    select * from {{ ref('country_regions') }}

),

history_window as (

    select window_start_date from {{ ref('int_viewing_history_window') }}

),

events_in_window as (

    {%- if rebuild is none %}
    select view_events.*
    from view_events
    inner join history_window
        on
            view_events.activity_date
            >= cast({{ dbt.dateadd('day', -1, 'history_window.window_start_date') }} as date)
    {%- elif rebuild.touched_only %}
    {# Every event read of each session with new events, old and new: the session is recomputed whole. #}
    select view_events.*
    from view_events
    inner join (
        select distinct session_id
        from view_events
        where ingest_batch_id > {{ rebuild.watermark }}
    ) as touched_sessions
        on view_events.session_id = touched_sessions.session_id
    {%- else %}
    select * from view_events
    {%- endif %}

),

events_ordered as (

    select
        events_in_window.*,
        media.series_id,
        coalesce(media.is_episode, false) as is_episode,
        row_number() over (
            partition by events_in_window.session_id
            order by events_in_window.start_timestamp, events_in_window.event_id
        ) as event_number
    from events_in_window
    left join media
        on events_in_window.media_id = media.media_id

),

session_series_episodes as (

    {# Distinct episodes of each series played in the session: the binge candidate. #}
    select
        session_id,
        series_id,
        count(distinct media_id) as episode_count
    from events_ordered
    where
        event_type = 'playback'
        and is_episode
        and series_id is not null
    group by 1, 2

),

session_top_series as (

    select
        session_id,
        count(*) as series_count,
        max(episode_count) as max_episodes_of_one_series,
        min(
            case when episode_count >= {{ var('engagement__binge_min_episodes') }} then series_id end
        ) as binge_series_id
    from session_series_episodes
    group by 1

),

session_totals as (

    select
        session_id,
        min(start_timestamp) as started_at,
        max(end_timestamp) as ended_at,
        {# A double before dividing: an integer over a decimal literal is a DECIMAL on Spark. #}
        cast(sum({{ whole_milliseconds('duration_seconds') }}) as double) / 1000.0 as watch_seconds,
        count(*) as view_count,
        count(case when event_type = 'playback' then 1 end) as playback_count,
        count(case when event_type = 'preview' then 1 end) as preview_count,
        count(case when is_qualifying_playback then 1 end) as qualifying_playback_count,
        count(case when is_completed then 1 end) as completed_playback_count,
        count(distinct media_id) as distinct_media_count,
        count(
            distinct case when event_type = 'playback' and is_episode then media_id end
        ) as distinct_episode_count,
        max(ingest_batch_id) as last_ingest_batch_id
    from events_ordered
    group by 1

),

session_first_event as (

    {# A session keeps the user, platform and country of its first event. #}
    select
        session_id,
        user_id,
        platform,
        country
    from events_ordered
    where event_number = 1

),

sessions_joined as (

    select
        session_first_event.session_id,
        session_first_event.user_id,
        session_first_event.platform,
        session_first_event.country,
        country_regions.time_zone,
        session_totals.started_at,
        session_totals.ended_at,
        session_totals.watch_seconds,
        session_totals.view_count,
        session_totals.playback_count,
        session_totals.preview_count,
        session_totals.qualifying_playback_count,
        session_totals.completed_playback_count,
        session_totals.distinct_media_count,
        session_totals.distinct_episode_count,
        session_totals.last_ingest_batch_id,
        coalesce(session_top_series.series_count, 0) as series_count,
        coalesce(session_top_series.max_episodes_of_one_series, 0) as max_episodes_of_one_series,
        session_top_series.binge_series_id,
        {{ to_local_timestamp('session_totals.started_at', 'country_regions.time_zone') }} as local_started_at
    from session_first_event
    inner join session_totals
        on session_first_event.session_id = session_totals.session_id
    left join session_top_series
        on session_first_event.session_id = session_top_series.session_id
    left join country_regions
        on session_first_event.country = country_regions.country_code

),

sessions_kept as (

    {%- if rebuild is none %}
    select sessions_joined.*
    from sessions_joined
    inner join history_window
        on cast(sessions_joined.started_at as date) >= history_window.window_start_date
    {%- elif rebuild.keep_days is not none %}
    {# Plain Parquet: whole session days, each partition overwritten with every session it holds. #}
    select * from sessions_joined
    where cast(started_at as date) in (
        {%- for day in rebuild.keep_days %}date '{{ day }}'{{ ", " if not loop.last }}{% endfor -%}
    )
    {%- elif rebuild.keep_from is not none %}
    select * from sessions_joined
    where cast(started_at as date) >= date '{{ rebuild.keep_from }}'
    {%- else %}
    {# Rows replaced by session_id: a session that now starts before the window is written and then
       deleted by the post-hook, so its stored row cannot stay behind. #}
    select * from sessions_joined
    {%- endif %}

),

final as (

    select
        sessions_kept.session_id,
        sessions_kept.user_id,
        sessions_kept.platform,
        sessions_kept.country,
        sessions_kept.time_zone,
        cast(sessions_kept.started_at as date) as session_date,
        sessions_kept.started_at,
        sessions_kept.ended_at,
        cast(
            {{ dbt.datediff('sessions_kept.started_at', 'sessions_kept.ended_at', 'millisecond') }}
            as double
        ) / 1000.0 as duration_seconds,
        sessions_kept.watch_seconds,
        sessions_kept.view_count,
        sessions_kept.playback_count,
        sessions_kept.preview_count,
        sessions_kept.qualifying_playback_count,
        sessions_kept.completed_playback_count,
        sessions_kept.distinct_media_count,
        sessions_kept.distinct_episode_count,
        sessions_kept.series_count,
        sessions_kept.max_episodes_of_one_series,
        sessions_kept.binge_series_id,
        (
            sessions_kept.max_episodes_of_one_series >= {{ var('engagement__binge_min_episodes') }}
        ) as is_binge,
        sessions_kept.qualifying_playback_count > 0 as is_active_session,
        sessions_kept.local_started_at,
        cast(extract(hour from sessions_kept.local_started_at) as integer) as local_start_hour,
        {{ iso_weekday('sessions_kept.local_started_at') }} as local_start_weekday,
        sessions_kept.last_ingest_batch_id
    from sessions_kept

)

select * from final
