{#
    One row per (cohort_basis, cohort_grain, cohort_start, bracket_start_day): share of
    the cohort active on at least one day of the bracket [start, end] (day numbers from
    each member's own cohort day). A bracket is reported only once its last day is
    complete for every member of the cohort.
#}

{%- set day_brackets = var('engagement__retention_day_brackets') %}

with

cohort_members as (

    select * from {{ ref('dim_retention_cohort_member') }}

),

member_activity as (

    select * from {{ ref('fct_retention_cohort_member_activity') }}

),

day_brackets as (

    {%- for bracket in day_brackets %}
    select
        {{ bracket[0] }} as bracket_start_day,
        {{ bracket[1] }} as bracket_end_day,
        '{{ "d" ~ bracket[0] if bracket[0] == bracket[1] else "d" ~ bracket[0] ~ "_" ~ bracket[1] }}'
            as bracket_label
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

cohorts as (

    select
        cohort_basis,
        cohort_grain,
        cohort_start,
        complete_days_after_cohort,
        count(*) as cohort_size
    from cohort_members
    group by 1, 2, 3, 4

),

cohort_brackets as (

    select
        cohorts.cohort_basis,
        cohorts.cohort_grain,
        cohorts.cohort_start,
        cohorts.cohort_size,
        day_brackets.bracket_start_day,
        day_brackets.bracket_end_day,
        day_brackets.bracket_label
    from cohorts
    inner join day_brackets
        on cohorts.complete_days_after_cohort >= day_brackets.bracket_end_day

),

active_by_bracket as (

    select
        cohort_members.cohort_basis,
        cohort_members.cohort_grain,
        cohort_members.cohort_start,
        day_brackets.bracket_start_day,
        count(distinct cohort_members.user_id) as active_users
    from cohort_members
    inner join member_activity
        on
            cohort_members.cohort_basis = member_activity.cohort_basis
            and cohort_members.user_id = member_activity.user_id
    inner join day_brackets
        on member_activity.day_number between day_brackets.bracket_start_day and day_brackets.bracket_end_day
    group by 1, 2, 3, 4

),

final as (

    select
        cohort_brackets.cohort_basis,
        cohort_brackets.cohort_grain,
        cohort_brackets.cohort_start,
        cohort_brackets.bracket_start_day,
        cohort_brackets.bracket_end_day,
        cohort_brackets.bracket_label,
        cohort_brackets.cohort_size,
        coalesce(active_by_bracket.active_users, 0) as active_users,
        cast(coalesce(active_by_bracket.active_users, 0) as double) / cohort_brackets.cohort_size
            as retention_rate
    from cohort_brackets
    left join active_by_bracket
        on
            cohort_brackets.cohort_basis = active_by_bracket.cohort_basis
            and cohort_brackets.cohort_grain = active_by_bracket.cohort_grain
            and cohort_brackets.cohort_start = active_by_bracket.cohort_start
            and cohort_brackets.bracket_start_day = active_by_bracket.bracket_start_day

)

select * from final
