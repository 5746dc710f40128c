{#
    One row per (platform, local_start_weekday, local_start_hour): every cell of the
    7 x 24 grid for each platform, zero-filled, so a heatmap never has holes.
    Sessions are placed by their start in the viewer's local time (time zone of the
    session country, DST-correct); sessions without a known time zone are left out.
#}

with

sessions as (

    select * from {{ ref('fct_viewing_sessions') }}

),

platforms as (

    select * from {{ ref('platforms') }}

),

hour_series as (

    {{ dbt.generate_series(24) }}

),

weekday_series as (

    {{ dbt.generate_series(7) }}

),

grid as (

    select
        platforms.platform,
        weekday_series.generated_number as local_start_weekday,
        hour_series.generated_number - 1 as local_start_hour
    from platforms
    cross join weekday_series
    cross join hour_series

),

cell_sessions as (

    select
        platform,
        local_start_weekday,
        local_start_hour,
        count(*) as session_count,
        count(distinct user_id) as session_users,
        {# bigint: DuckDB's sum of BIGINT is a HUGEINT, which Spark has not. #}
        cast(sum(view_count) as bigint) as view_count,
        sum(watch_seconds) as watch_seconds,
        count(case when is_binge then 1 end) as binge_session_count
    from sessions
    where local_started_at is not null
    group by 1, 2, 3

),

cells_filled as (

    select
        grid.platform,
        grid.local_start_weekday,
        grid.local_start_hour,
        coalesce(cell_sessions.session_count, 0) as session_count,
        coalesce(cell_sessions.session_users, 0) as session_users,
        coalesce(cell_sessions.view_count, 0) as view_count,
        coalesce(cell_sessions.watch_seconds, 0) as watch_seconds,
        coalesce(cell_sessions.binge_session_count, 0) as binge_session_count
    from grid
    left join cell_sessions
        on
            grid.platform = cell_sessions.platform
            and grid.local_start_weekday = cell_sessions.local_start_weekday
            and grid.local_start_hour = cell_sessions.local_start_hour

),

final as (

    select
        platform,
        local_start_weekday,
        case local_start_weekday
            when 1 then 'Mon' when 2 then 'Tue' when 3 then 'Wed' when 4 then 'Thu'
            when 5 then 'Fri' when 6 then 'Sat' when 7 then 'Sun'
        end as local_start_weekday_name,
        local_start_hour,
        session_count,
        session_users,
        view_count,
        watch_seconds,
        binge_session_count,
        cast(session_count as double)
        / nullif(sum(session_count) over (partition by platform), 0) as share_of_platform_sessions
    from cells_filled

)

select * from final
