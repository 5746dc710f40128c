{#
    One row per UTC day (session_date) of fct_viewing_sessions: how often and how long
    people watch. Sessions are dated by their start; DAU comes from the rollup so
    sessions per active user uses the project's one definition of active.
#}

with

sessions as (

    select * from {{ ref('fct_viewing_sessions') }}

),

active_users as (

    select
        activity_date,
        dau
    from {{ ref('fct_active_user_fast') }}

),

daily_sessions as (

    select
        session_date,
        count(*) as session_count,
        count(case when is_active_session then 1 end) as active_session_count,
        count(distinct user_id) as session_users,
        {{ percentile_cont('duration_seconds', 0.5) }} as duration_p50_seconds,
        {{ percentile_cont('duration_seconds', 0.9) }} as duration_p90_seconds,
        {{ percentile_cont('duration_seconds', 0.99) }} as duration_p99_seconds,
        {# Sums in whole milliseconds are exact, so the figures do not depend on row order. #}
        sum({{ whole_milliseconds('duration_seconds') }}) / count(duration_seconds) / 1000.0
            as duration_avg_seconds,
        sum(view_count) as view_count,
        cast(sum({{ whole_milliseconds('watch_seconds') }}) as double) / 1000.0 as watch_seconds,
        count(case when is_binge then 1 end) as binge_session_count
    from sessions
    group by 1

),

final as (

    select
        daily_sessions.session_date,
        daily_sessions.session_count,
        daily_sessions.active_session_count,
        daily_sessions.session_users,
        coalesce(active_users.dau, 0) as dau,
        cast(daily_sessions.active_session_count as double)
        / nullif(active_users.dau, 0) as sessions_per_active_user,
        daily_sessions.duration_p50_seconds,
        daily_sessions.duration_p90_seconds,
        daily_sessions.duration_p99_seconds,
        daily_sessions.duration_avg_seconds,
        daily_sessions.view_count,
        cast(daily_sessions.view_count as double) / daily_sessions.session_count as views_per_session,
        daily_sessions.watch_seconds,
        daily_sessions.binge_session_count,
        cast(daily_sessions.binge_session_count as double) / daily_sessions.session_count as binge_share
    from daily_sessions
    left join active_users
        on daily_sessions.session_date = active_users.activity_date

)

select * from final
