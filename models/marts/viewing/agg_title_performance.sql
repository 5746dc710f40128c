{#
    One row per title (media_id) played at least once in the last
    `engagement__viewing_history_days` days of data. A watcher is a user with at least
    one playback of the title; a watcher completed it when any of their playbacks did,
    so a title watched over several spans counts once, finished or not.
    Completion ranking only ranks titles with at least
    `engagement__completion_rank_min_watchers` (20) watchers: a title finished by its
    only two viewers is not the best-finished title.
#}

with

view_events as (

    select
        user_id,
        media_id,
        event_type,
        activity_date,
        duration_seconds,
        is_completed
    from {{ ref('fct_view_events') }}

),

media as (

    select * from {{ ref('dim_media') }}

),

history_window as (

    select * from {{ ref('int_viewing_history_window') }}

),

playbacks_in_window as (

    select view_events.*
    from view_events
    inner join history_window
        on view_events.activity_date >= history_window.window_start_date
    where view_events.event_type = 'playback'

),

user_titles as (

    select
        media_id,
        user_id,
        count(*) as playback_count,
        count(case when is_completed then 1 end) as completed_playback_count,
        sum(duration_seconds) as watch_seconds
    from playbacks_in_window
    group by 1, 2

),

title_totals as (

    select
        media_id,
        count(*) as watchers,
        count(case when completed_playback_count > 0 then 1 end) as completed_watchers,
        {# bigint: DuckDB's sum of BIGINT is a HUGEINT, which Spark has not. #}
        cast(sum(playback_count) as bigint) as playback_count,
        cast(sum(completed_playback_count) as bigint) as completed_playback_count,
        sum(watch_seconds) as watch_seconds
    from user_titles
    group by 1

),

titles_measured as (

    select
        title_totals.media_id,
        media.title,
        media.genre,
        media.media_kind,
        media.series_id,
        media.series_title,
        title_totals.watchers,
        title_totals.completed_watchers,
        cast(title_totals.completed_watchers as double) / title_totals.watchers as completion_rate,
        title_totals.playback_count,
        title_totals.completed_playback_count,
        cast(title_totals.completed_playback_count as double)
        / title_totals.playback_count as playback_completion_rate,
        title_totals.watch_seconds,
        title_totals.watch_seconds / title_totals.watchers as watch_seconds_per_watcher,
        (
            title_totals.watchers >= {{ var('engagement__completion_rank_min_watchers') }}
        ) as is_ranked_for_completion
    from title_totals
    left join media
        on title_totals.media_id = media.media_id

),

final as (

    select
        titles_measured.*,
        {# bigint: Spark's row_number() is an INT (DuckDB's a BIGINT). #}
        cast(row_number() over (
            order by titles_measured.watchers desc, titles_measured.media_id asc
        ) as bigint) as watchers_rank,
        case
            when titles_measured.is_ranked_for_completion
                then cast(row_number() over (
                    partition by titles_measured.is_ranked_for_completion
                    order by
                        titles_measured.completion_rate desc,
                        titles_measured.watchers desc,
                        titles_measured.media_id asc
                ) as bigint)
        end as completion_rank,
        history_window.window_start_date,
        history_window.window_end_date
    from titles_measured
    cross join history_window

)

select * from final
