{#
    One row per (genre, media_kind): completion and watch time of a genre, split into
    movies and episodes, over the same window as agg_title_performance (read from it,
    so no second scan of events). Its unit is the (user, title) pair: a user who
    watched three titles of a genre counts three times; distinct users per genre are
    not additive over titles and are not reported.
#}

with

titles as (

    select * from {{ ref('agg_title_performance') }}

),

genre_totals as (

    select
        coalesce(genre, 'unknown') as genre,
        coalesce(media_kind, 'unknown') as media_kind,
        count(*) as titles_watched,
        {# bigint: DuckDB's sum of BIGINT is a HUGEINT, which Spark has not. #}
        cast(sum(watchers) as bigint) as user_title_pairs,
        cast(sum(completed_watchers) as bigint) as completed_user_title_pairs,
        cast(sum(playback_count) as bigint) as playback_count,
        cast(sum(completed_playback_count) as bigint) as completed_playback_count,
        sum(watch_seconds) as watch_seconds,
        min(window_start_date) as window_start_date,
        max(window_end_date) as window_end_date
    from titles
    group by 1, 2

),

final as (

    select
        genre,
        media_kind,
        titles_watched,
        user_title_pairs,
        completed_user_title_pairs,
        cast(completed_user_title_pairs as double) / user_title_pairs as completion_rate,
        playback_count,
        completed_playback_count,
        cast(completed_playback_count as double) / playback_count as playback_completion_rate,
        watch_seconds,
        watch_seconds / user_title_pairs as watch_seconds_per_user_title,
        watch_seconds / sum(watch_seconds) over () as share_of_watch_time,
        window_start_date,
        window_end_date
    from genre_totals

)

select * from final
