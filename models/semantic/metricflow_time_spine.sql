{#
    One row per UTC calendar day: the day-grain time spine MetricFlow needs
    (metric_time, week/month/quarter/year grains, cumulative metrics, fill_nulls).
    A fixed range from vars rather than from the data, so the spine never depends
    on a fact table and never on the wall clock; the defaults cover 2020..2035.
    dbt.date_spine is dbt's cross-database macro: the end date is exclusive.
#}

with

days as (

    {{
        dbt.date_spine(
            'day',
            "cast('" ~ var('engagement__time_spine_start') ~ "' as date)",
            "cast('" ~ var('engagement__time_spine_end') ~ "' as date)",
        )
    }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
