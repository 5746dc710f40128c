{#
    One row per (week_start_date, platform, country): quality of experience of
    playbacks started that ISO week (Monday start, UTC days) on that platform in that
    country. Percentiles are over playbacks (not users). Rebuffer ratio = rebuffer_ms
    / watched ms (duration_seconds * 1000): `rebuffer_ratio` is the pooled ratio
    (sum over sum), the percentiles are over per-playback ratios. Previews are left
    out: they autoplay and say little about the watch experience. Weeks cut by the
    history window or by the end of the data are flagged is_complete_week = false.
#}

with

view_events as (

    select
        user_id,
        event_type,
        activity_date,
        duration_seconds,
        platform,
        country,
        startup_ms,
        rebuffer_count,
        rebuffer_ms
    from {{ ref('fct_view_events') }}

),

history_window as (

    select * from {{ ref('int_viewing_history_window') }}

),

playbacks_in_window as (

    select
        view_events.*,
        cast({{ dbt.date_trunc('week', 'view_events.activity_date') }} as date) as week_start_date,
        view_events.rebuffer_ms / nullif(view_events.duration_seconds * 1000.0, 0) as rebuffer_ratio
    from view_events
    inner join history_window
        on view_events.activity_date >= history_window.window_start_date
    where view_events.event_type = 'playback'

),

weekly_qoe as (

    select
        week_start_date,
        platform,
        coalesce(country, 'unknown') as country,
        count(*) as playback_count,
        count(distinct user_id) as users,
        {{ percentile_cont('startup_ms', 0.5) }} as startup_p50_ms,
        {{ percentile_cont('startup_ms', 0.9) }} as startup_p90_ms,
        {{ percentile_cont('startup_ms', 0.99) }} as startup_p99_ms,
        {{ percentile_cont('rebuffer_ratio', 0.5) }} as rebuffer_ratio_p50,
        {{ percentile_cont('rebuffer_ratio', 0.9) }} as rebuffer_ratio_p90,
        {{ percentile_cont('rebuffer_ratio', 0.99) }} as rebuffer_ratio_p99,
        sum(rebuffer_ms) / nullif(sum(duration_seconds) * 1000.0, 0) as rebuffer_ratio,
        count(case when rebuffer_count > 0 then 1 end) as rebuffered_playback_count,
        sum(duration_seconds) as watch_seconds
    from playbacks_in_window
    group by 1, 2, 3

),

final as (

    select
        weekly_qoe.week_start_date,
        (
            weekly_qoe.week_start_date >= history_window.window_start_date
            and {{ dbt.dateadd('day', 6, 'weekly_qoe.week_start_date') }} <= history_window.window_end_date
        ) as is_complete_week,
        weekly_qoe.platform,
        weekly_qoe.country,
        weekly_qoe.playback_count,
        weekly_qoe.users,
        weekly_qoe.startup_p50_ms,
        weekly_qoe.startup_p90_ms,
        weekly_qoe.startup_p99_ms,
        weekly_qoe.rebuffer_ratio,
        weekly_qoe.rebuffer_ratio_p50,
        weekly_qoe.rebuffer_ratio_p90,
        weekly_qoe.rebuffer_ratio_p99,
        weekly_qoe.rebuffered_playback_count,
        cast(weekly_qoe.rebuffered_playback_count as double)
        / weekly_qoe.playback_count as rebuffered_playback_share,
        weekly_qoe.watch_seconds
    from weekly_qoe
    cross join history_window

)

select * from final
