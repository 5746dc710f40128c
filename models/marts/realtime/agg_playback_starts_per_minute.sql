{#
    The pulse: playback starts per UTC minute for the newest `engagement__realtime_days`
    activity days, with an anomaly flag against the same hour of day on the previous
    `engagement__pulse_baseline_days` days.

    Events land when a playback ENDS (median ~50 min after it started), so recent minutes
    are always incomplete. The baseline is therefore taken "as of" the same point of the
    data's clock: for a minute on day T, the previous day T-j counts only events that had
    arrived by (data clock - j days), over the minutes of the same hour that had started
    by then. Like is compared with like; for hours that are long complete this is the
    plain same-hour baseline.

    z_score = (playback_starts - baseline mean) / baseline standard deviation (population,
    over the baseline's minutes, zero-filled). is_anomaly when |z| >= engagement__pulse_anomaly_z
    and the baseline is usable: at least engagement__pulse_min_baseline_days days of data
    and a mean of at least engagement__pulse_min_baseline_starts starts per minute (below
    that a z-score of small counts is noise). Rebuilt whole by every micro-batch.
#}

{%- set realtime_days = var('engagement__realtime_days') %}
{%- set baseline_days = var('engagement__pulse_baseline_days') %}
{%- set anomaly_z = var('engagement__pulse_anomaly_z') %}
{%- set min_baseline_days = var('engagement__pulse_min_baseline_days') %}
{%- set min_baseline_starts = var('engagement__pulse_min_baseline_starts') %}

with

view_events as (

    select * from {{ ref('fct_view_events') }}

),

data_clock as (

    select
        min(activity_date) as first_activity_date,
        max(activity_date) as newest_activity_date,
        max(ingested_at) as data_clock_at
    from view_events

),

recent_playback_starts as (

    select
        view_events.activity_date,
        date_trunc('minute', view_events.start_timestamp) as minute_start,
        view_events.ingested_at
    from view_events
    cross join data_clock
    where
        view_events.activity_date
        > data_clock.newest_activity_date - {{ realtime_days + baseline_days }}
        and view_events.event_type = 'playback'

),

day_series as (

    {{ dbt.generate_series(realtime_days) }}

),

lag_series as (

    {{ dbt.generate_series(baseline_days) }}

),

minute_series as (

    {{ dbt.generate_series(1440) }}

),

target_days as (

    select data_clock.newest_activity_date - cast(day_series.generated_number - 1 as integer) as target_date
    from day_series
    cross join data_clock

),

target_minutes as (

    select
        target_days.target_date,
        {{ dbt.dateadd(
            'minute', 'minute_series.generated_number - 1', 'cast(target_days.target_date as timestamp)'
        ) }} as minute_start,
        cast(floor((minute_series.generated_number - 1) / 60) as integer) as hour_of_day
    from target_days
    cross join minute_series

),

target_minutes_started as (

    select target_minutes.*
    from target_minutes
    cross join data_clock
    where target_minutes.minute_start <= data_clock.data_clock_at

),

starts_per_minute as (

    select
        minute_start,
        count(*) as playback_starts
    from recent_playback_starts
    group by 1

),

baseline_days_as_of as (

    {# Each (target day, earlier day) pair and the clock as it was j days ago. #}
    select
        target_days.target_date,
        lag_series.generated_number as lag_days,
        target_days.target_date - cast(lag_series.generated_number as integer) as baseline_date,
        {{ dbt.dateadd('day', '-1 * lag_series.generated_number', 'data_clock.data_clock_at') }} as as_of_at
    from target_days
    cross join lag_series
    cross join data_clock
    where
        target_days.target_date - cast(lag_series.generated_number as integer)
        >= data_clock.first_activity_date

),

baseline_minutes as (

    select
        baseline_days_as_of.target_date,
        baseline_days_as_of.lag_days,
        {{ dbt.dateadd(
            'minute', 'minute_series.generated_number - 1', 'cast(baseline_days_as_of.baseline_date as timestamp)'
        ) }} as minute_start,
        cast(floor((minute_series.generated_number - 1) / 60) as integer) as hour_of_day,
        baseline_days_as_of.as_of_at
    from baseline_days_as_of
    cross join minute_series

),

baseline_minutes_started as (

    select * from baseline_minutes
    where minute_start <= as_of_at

),

baseline_starts_as_of as (

    select
        baseline_days_as_of.target_date,
        baseline_days_as_of.lag_days,
        recent_playback_starts.minute_start,
        count(*) as playback_starts
    from baseline_days_as_of
    inner join recent_playback_starts
        on
            baseline_days_as_of.baseline_date = recent_playback_starts.activity_date
            and baseline_days_as_of.as_of_at >= recent_playback_starts.ingested_at
    group by 1, 2, 3

),

baseline_per_hour as (

    select
        baseline_minutes_started.target_date,
        baseline_minutes_started.hour_of_day,
        {# From exact integer sums (not a streaming float aggregate), so reruns are bit-identical. #}
        sum(coalesce(baseline_starts_as_of.playback_starts, 0)) / count(*) as baseline_playback_starts,
        sqrt(greatest(
            count(*) * sum(
                cast(coalesce(baseline_starts_as_of.playback_starts, 0) as bigint)
                * coalesce(baseline_starts_as_of.playback_starts, 0)
            )
            - sum(coalesce(baseline_starts_as_of.playback_starts, 0))
            * sum(coalesce(baseline_starts_as_of.playback_starts, 0)),
            0
        )) / count(*) as baseline_stddev,
        count(distinct baseline_minutes_started.lag_days) as baseline_day_count
    from baseline_minutes_started
    left join baseline_starts_as_of
        on
            baseline_minutes_started.target_date = baseline_starts_as_of.target_date
            and baseline_minutes_started.lag_days = baseline_starts_as_of.lag_days
            and baseline_minutes_started.minute_start = baseline_starts_as_of.minute_start
    group by 1, 2

),

scored as (

    select
        target_minutes_started.minute_start,
        coalesce(starts_per_minute.playback_starts, 0) as playback_starts,
        baseline_per_hour.baseline_playback_starts,
        baseline_per_hour.baseline_stddev,
        coalesce(baseline_per_hour.baseline_day_count, 0) as baseline_day_count
    from target_minutes_started
    left join starts_per_minute
        on target_minutes_started.minute_start = starts_per_minute.minute_start
    left join baseline_per_hour
        on
            target_minutes_started.target_date = baseline_per_hour.target_date
            and target_minutes_started.hour_of_day = baseline_per_hour.hour_of_day

),

final as (

    select
        minute_start,
        playback_starts,
        baseline_playback_starts,
        baseline_stddev,
        case
            when baseline_stddev > 0
                then (playback_starts - baseline_playback_starts) / baseline_stddev
        end as z_score,
        coalesce(
            baseline_day_count >= {{ min_baseline_days }}
            and baseline_playback_starts >= {{ min_baseline_starts }}
            and baseline_stddev > 0
            and abs(playback_starts - baseline_playback_starts) >= {{ anomaly_z }} * baseline_stddev,
            false
        ) as is_anomaly,
        baseline_day_count
    from scored

)

select * from final
