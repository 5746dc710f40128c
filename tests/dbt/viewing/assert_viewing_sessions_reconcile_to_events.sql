{#
    Every view event of a session in fct_viewing_sessions is counted once: per session,
    view_count and watch_seconds equal those recounted from fct_view_events, and the
    heatmap holds every session with a time zone. Returns the mismatches.
#}

with

sessions as (

    select * from {{ ref('fct_viewing_sessions') }}

),

view_events as (

    select * from {{ ref('fct_view_events') }}

),

heatmap as (

    select * from {{ ref('agg_viewing_local_time_heatmap') }}

),

events_per_session as (

    select
        view_events.session_id,
        count(*) as view_count,
        sum(view_events.duration_seconds) as watch_seconds
    from view_events
    inner join sessions
        on view_events.session_id = sessions.session_id
    group by 1

),

session_mismatches as (

    select
        sessions.session_id as mismatch_key,
        'session_totals' as mismatch_kind
    from sessions
    left join events_per_session
        on sessions.session_id = events_per_session.session_id
    where
        events_per_session.session_id is null
        or sessions.view_count <> events_per_session.view_count
        or abs(sessions.watch_seconds - events_per_session.watch_seconds) > 0.001

),

heatmap_total as (

    select sum(session_count) as heatmap_sessions
    from heatmap

),

located_sessions as (

    select count(*) as located_session_count
    from sessions
    where local_started_at is not null

),

heatmap_mismatch as (

    select
        'all' as mismatch_key,
        'heatmap_total' as mismatch_kind
    from heatmap_total
    cross join located_sessions
    where heatmap_total.heatmap_sessions <> located_sessions.located_session_count

)

select * from session_mismatches
union all
select * from heatmap_mismatch
