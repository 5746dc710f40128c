{%- set band_bounds = var('engagement__rebuffer_ratio_band_bounds') -%}
{%- set band_labels = [] -%}
{%- for bound in band_bounds -%}
{%- set lower = band_bounds[loop.index0 - 1] * 100 if loop.index0 > 0 else 0 -%}
{%- do band_labels.append('(' ~ lower ~ '%, ' ~ bound * 100 ~ '%]') -%}
{%- endfor -%}
{#
    One row per (week_start_date, qoe_measure, qoe_bucket): do users with a worse
    week of playback quality come back less the next week?
    Cohort: users active (see def_active_user) on at least one day of ISO week W.
    Their week-W QoE is measured on all their playbacks started in W:
    - startup_p90_quartile: the user's p90 startup_ms, cut into quartiles q1 (fastest)
      .. q4 (slowest) among that week's cohort (ties broken by user_id, so stable);
    - rebuffer_ratio_band: the user's pooled rebuffer ratio (rebuffer_ms / watched ms),
      in bands `none` (no stall) and then by the bounds
      `engagement__rebuffer_ratio_band_bounds` (decades 0.01%, 0.1%, 1% by default).
    Churned next week = not active on any day of W+1. Only weeks W lying whole in the
    history window and whose W+1 lies whole in the data are reported.
#}

with

view_events as (

    select
        user_id,
        event_type,
        activity_date,
        duration_seconds,
        startup_ms,
        rebuffer_ms
    from {{ ref('fct_view_events') }}

),

daily_activity as (

    select
        user_id,
        activity_date
    from {{ ref('fct_daily_activity') }}
    where is_active

),

history_window as (

    select * from {{ ref('int_viewing_history_window') }}

),

daily_activity_in_window as (

    select daily_activity.*
    from daily_activity
    inner join history_window
        on daily_activity.activity_date >= history_window.window_start_date

),

complete_weeks as (

    {# W starts inside the window and W+1 (days W+7..W+13) ends on or before the last day. #}
    select distinct
        cast(
            {{ dbt.date_trunc('week', 'daily_activity_in_window.activity_date') }} as date
        ) as week_start_date
    from daily_activity_in_window
    cross join history_window
    where
        cast({{ dbt.date_trunc('week', 'daily_activity_in_window.activity_date') }} as date)
        >= history_window.window_start_date
        and {{ dbt.dateadd('day', 13, dbt.date_trunc('week', 'daily_activity_in_window.activity_date')) }}
        <= history_window.window_end_date

),

active_user_weeks as (

    select distinct
        user_id,
        cast({{ dbt.date_trunc('week', 'activity_date') }} as date) as week_start_date
    from daily_activity_in_window

),

cohort as (

    select
        active_user_weeks.user_id,
        active_user_weeks.week_start_date,
        next_week.user_id is null as is_churned_next_week
    from active_user_weeks
    inner join complete_weeks
        on active_user_weeks.week_start_date = complete_weeks.week_start_date
    left join active_user_weeks as next_week
        on
            active_user_weeks.user_id = next_week.user_id
            and next_week.week_start_date = cast(
                {{ dbt.dateadd('day', 7, 'active_user_weeks.week_start_date') }} as date
            )

),

user_week_playbacks as (

    select
        view_events.user_id,
        cast({{ dbt.date_trunc('week', 'view_events.activity_date') }} as date) as week_start_date,
        view_events.startup_ms,
        view_events.rebuffer_ms,
        view_events.duration_seconds
    from view_events
    inner join history_window
        on view_events.activity_date >= history_window.window_start_date
    where view_events.event_type = 'playback'

),

user_week_qoe as (

    select
        cohort.user_id,
        cohort.week_start_date,
        cohort.is_churned_next_week,
        {{ percentile_cont('user_week_playbacks.startup_ms', 0.9) }} as startup_p90_ms,
        sum(user_week_playbacks.rebuffer_ms)
        / nullif(sum(user_week_playbacks.duration_seconds) * 1000.0, 0) as rebuffer_ratio
    from cohort
    inner join user_week_playbacks
        on
            cohort.user_id = user_week_playbacks.user_id
            and cohort.week_start_date = user_week_playbacks.week_start_date
    group by 1, 2, 3

),

user_week_buckets as (

    select
        user_id,
        week_start_date,
        is_churned_next_week,
        startup_p90_ms,
        rebuffer_ratio,
        {# bigint: Spark's ntile() is an INT (DuckDB's a BIGINT). #}
        cast(ntile(4) over (
            partition by week_start_date
            order by startup_p90_ms, user_id
        ) as bigint) as startup_quartile,
        case
            when coalesce(rebuffer_ratio, 0) = 0 then 0
            {%- for bound in band_bounds %}
            when rebuffer_ratio <= {{ bound }} then {{ loop.index }}
            {%- endfor %}
            else {{ band_bounds | length + 1 }}
        end as rebuffer_band_order
    from user_week_qoe

),

buckets_unioned as (

    select
        week_start_date,
        'startup_p90_quartile' as qoe_measure,
        cast(startup_quartile as bigint) as bucket_order,
        'q' || cast(startup_quartile as {{ dbt.type_string() }}) as qoe_bucket,
        user_id,
        is_churned_next_week,
        startup_p90_ms as qoe_value
    from user_week_buckets

    union all

    select
        week_start_date,
        'rebuffer_ratio_band' as qoe_measure,
        cast(rebuffer_band_order as bigint) as bucket_order,
        case rebuffer_band_order
            when 0 then 'none'
            {%- for band_label in band_labels %}
            when {{ loop.index }} then '{{ band_label }}'
            {%- endfor %}
            else '{{ "> " ~ band_bounds[-1] * 100 ~ "%" }}'
        end as qoe_bucket,
        user_id,
        is_churned_next_week,
        rebuffer_ratio as qoe_value
    from user_week_buckets

),

final as (

    select
        week_start_date,
        qoe_measure,
        qoe_bucket,
        bucket_order,
        count(*) as users,
        count(case when is_churned_next_week then 1 end) as churned_next_week_users,
        cast(count(case when is_churned_next_week then 1 end) as double) / count(*) as next_week_churn_share,
        min(qoe_value) as bucket_min_value,
        max(qoe_value) as bucket_max_value
    from buckets_unioned
    group by 1, 2, 3, 4

)

select * from final
