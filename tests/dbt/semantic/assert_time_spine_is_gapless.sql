{#
    The time spine has no gap: every day but the first has its previous day
    (MetricFlow would silently drop missing days from week/month buckets and
    cumulative windows). Uniqueness and range are tested in metricflow_time_spine.yml.
    Returns the days whose previous day is missing.
#}

with

time_spine as (

    select * from {{ ref('metricflow_time_spine') }}

),

first_day as (

    select min(date_day) as date_day
    from time_spine

),

days_after_a_gap as (

    select time_spine.date_day
    from time_spine
    left join time_spine as previous_day
        on {{ dbt.dateadd('day', -1, 'time_spine.date_day') }} = previous_day.date_day
    inner join first_day
        on time_spine.date_day > first_day.date_day
    where previous_day.date_day is null

)

select * from days_after_a_gap
