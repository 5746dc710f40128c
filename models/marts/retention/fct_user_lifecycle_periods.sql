{#
    One row per user, period grain (ISO week, calendar month) and period in which the
    user was active or churned: the growth-accounting status of the period, the daily
    rules with the previous period in place of the day before (classify_activity_status,
    the one place the statuses are defined). Stale periods (active in neither the period
    nor the one before) have no row. Backs the semantic layer's week_* and month_*
    lifecycle metrics (split by any user attribute through the user entity) and
    agg_weekly_lifecycle.
#}

{%- set period_grains = ['week', 'month'] %}
{%- set next_month_start = dbt.dateadd('month', 1, 'user_periods.period_start_date') %}

with

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

activity_days as (

    select * from {{ ref('dim_activity_day') }}

),

user_active_periods as (

    {% for period_grain in period_grains %}
    select distinct
        user_id,
        '{{ period_grain }}' as period_grain,
        cast({{ dbt.date_trunc(period_grain, 'activity_date') }} as date) as period_start_date
    from daily_activity
    where is_active
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

user_first_periods as (

    select
        user_id,
        period_grain,
        min(period_start_date) as first_active_period_start_date
    from user_active_periods
    group by 1, 2

),

user_period_flags as (

    {# Each active period marks the user active in P and "active the period before" in P+1. #}
    select
        user_id,
        period_grain,
        period_start_date,
        1 as is_active_this_period,
        0 as was_active_previous_period
    from user_active_periods

    union all

    select
        user_id,
        period_grain,
        case
            when period_grain = 'week' then cast({{ dbt.dateadd('day', 7, 'period_start_date') }} as date)
            else cast({{ dbt.dateadd('month', 1, 'period_start_date') }} as date)
        end as period_start_date,
        0 as is_active_this_period,
        1 as was_active_previous_period
    from user_active_periods

),

observed_periods as (

    {# Every observed period per grain: its bounds, whether it is complete (dim_activity_day's
       rule: an event started after its end) and whether the period before it was observed
       from its first day (if not, "new" there only means "first seen in the data"). #}
    {% for period_grain in period_grains %}
    select
        '{{ period_grain }}' as period_grain,
        {{ period_grain }}_start_date as period_start_date,
        min(cast(is_complete_{{ period_grain }} as integer)) = 1 as is_complete_period,
        min(min(activity_date)) over () as first_observed_date
    from activity_days
    group by 1, 2
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

user_periods as (

    select
        user_period_flags.user_id,
        user_period_flags.period_grain,
        user_period_flags.period_start_date,
        max(user_period_flags.is_active_this_period) = 1 as is_period_active,
        max(user_period_flags.was_active_previous_period) = 1 as was_active_previous_period,
        min(user_first_periods.first_active_period_start_date) as first_active_period_start_date
    from user_period_flags
    inner join user_first_periods
        on
            user_period_flags.user_id = user_first_periods.user_id
            and user_period_flags.period_grain = user_first_periods.period_grain
    group by 1, 2, 3

),

final as (

    {# The inner join drops the churned rows of the period after the newest one. #}
    select
        user_periods.user_id,
        user_periods.period_grain,
        user_periods.period_start_date,
        case
            when user_periods.period_grain = 'week'
                then cast({{ dbt.dateadd('day', 6, 'user_periods.period_start_date') }} as date)
            else cast({{ dbt.dateadd('day', -1, next_month_start) }} as date)
        end as period_end_date,
        {# Every row is active in P or in P-1, so stale cannot come out. #}
        {{ classify_activity_status(
            'user_periods.first_active_period_start_date = user_periods.period_start_date',
            'user_periods.is_period_active',
            'user_periods.was_active_previous_period'
        ) }} as lifecycle_status,
        user_periods.is_period_active,
        user_periods.was_active_previous_period,
        user_periods.first_active_period_start_date,
        observed_periods.is_complete_period,
        case
            when user_periods.period_grain = 'week'
                then cast({{ dbt.dateadd('day', -7, 'user_periods.period_start_date') }} as date)
            else cast({{ dbt.dateadd('month', -1, 'user_periods.period_start_date') }} as date)
        end >= observed_periods.first_observed_date as has_observed_previous_period
    from user_periods
    inner join observed_periods
        on
            user_periods.period_grain = observed_periods.period_grain
            and user_periods.period_start_date = observed_periods.period_start_date

)

select * from final
