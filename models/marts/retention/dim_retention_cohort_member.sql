{#
    One row per (cohort_basis, cohort_grain, user_id) for every member of a reportable
    cohort: the cohort's days all lie in the observed window (first day on or after the
    first observed activity day, last day no later than the last complete day).
    Basis: signup = dim_user.sign_up_date, first_activity = dim_user.first_activity_date.
    Grain: day = the cohort day, week = the ISO week (Monday start) of the cohort day.
    Activity comes from fct_daily_activity (is_active rows, all history), not from
    dim_daily_user_status, which keeps only the last 90 days.
#}

{%- set incomplete_days = var('engagement__retention_incomplete_days') %}

with

users as (

    select * from {{ ref('dim_user') }}

),

daily_activity as (

    select * from {{ ref('fct_daily_activity') }}

),

cohort_grains as (

    {{ retention_cohort_grains() }}

),

observed_window as (

    {# The newest day(s) are still filling up (late events arrive for up to 72 h), so
       the last `engagement__retention_incomplete_days` (1) days are not complete. #}
    select
        min(activity_date) as observed_from_date,
        cast({{ dbt.dateadd('day', -incomplete_days, 'max(activity_date)') }} as date) as last_complete_date
    from daily_activity

),

cohort_days as (

    select
        'signup' as cohort_basis,
        user_id,
        sign_up_date as cohort_date
    from users
    where sign_up_date is not null

    union all

    select
        'first_activity' as cohort_basis,
        user_id,
        first_activity_date as cohort_date
    from users
    where first_activity_date is not null

),

cohort_days_by_grain as (

    select
        cohort_days.cohort_basis,
        cohort_grains.cohort_grain,
        cohort_days.user_id,
        cohort_days.cohort_date,
        case
            when cohort_grains.cohort_grain = 'week'
                then cast({{ dbt.date_trunc('week', 'cohort_days.cohort_date') }} as date)
            else cohort_days.cohort_date
        end as cohort_start,
        cohort_grains.period_length_days,
        observed_window.observed_from_date,
        observed_window.last_complete_date
    from cohort_days
    cross join cohort_grains
    cross join observed_window

),

cohort_days_measured as (

    select
        *,
        {{ dbt.datediff('cohort_start', 'last_complete_date', 'day') }}
        - (period_length_days - 1) as complete_days_after_cohort
    from cohort_days_by_grain

),

reportable_members as (

    {# complete_days_after_cohort: days from the cohort's last day to the last complete
       day. Day number N of every member (and period N of length L, days N*L ..
       N*L+L-1) is complete when its last day number is <= this; a cohort whose last
       day is not complete (< 0) or that starts before the data is not reportable. #}
    select *
    from cohort_days_measured
    where
        cohort_start >= observed_from_date
        and complete_days_after_cohort >= 0

),

last_active_days as (

    select
        cohort_days.cohort_basis,
        cohort_days.user_id,
        cohort_days.cohort_date,
        max(daily_activity.activity_date) as last_active_date
    from cohort_days
    inner join daily_activity
        on
            cohort_days.user_id = daily_activity.user_id
            and cohort_days.cohort_date <= daily_activity.activity_date
    cross join observed_window
    where
        daily_activity.is_active
        and daily_activity.activity_date <= observed_window.last_complete_date
    group by 1, 2, 3

),

last_active_day_numbers as (

    select
        *,
        {{ dbt.datediff('cohort_date', 'last_active_date', 'day') }}
            as last_active_day_number
    from last_active_days

),

final as (

    select
        reportable_members.cohort_basis,
        reportable_members.cohort_grain,
        reportable_members.user_id,
        reportable_members.cohort_date,
        reportable_members.cohort_start,
        reportable_members.period_length_days,
        reportable_members.observed_from_date,
        reportable_members.last_complete_date,
        reportable_members.complete_days_after_cohort,
        last_active_day_numbers.last_active_date,
        last_active_day_numbers.last_active_day_number
    from reportable_members
    left join last_active_day_numbers
        on
            reportable_members.cohort_basis = last_active_day_numbers.cohort_basis
            and reportable_members.user_id = last_active_day_numbers.user_id

)

select * from final
