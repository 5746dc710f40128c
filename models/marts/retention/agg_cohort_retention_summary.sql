{#
    One row per (cohort_basis, cohort_grain, cohort_start): day-1/7/14/28 retention side
    by side. Day N is counted from each member's own cohort day, also in week cohorts,
    and is NULL until it is complete for every member of the cohort.
#}

{%- set summary_days = [1, 7, 14, 28] %}

with

cohort_members as (

    select * from {{ ref('dim_retention_cohort_member') }}

),

member_activity as (

    select * from {{ ref('fct_retention_cohort_member_activity') }}

),

member_summary_days as (

    {# One row per member and grain, with a 0/1 flag per summary day number. #}
    select
        cohort_members.cohort_basis,
        cohort_members.cohort_grain,
        cohort_members.cohort_start,
        cohort_members.user_id,
        cohort_members.complete_days_after_cohort,
        cohort_members.last_active_day_number,
    {% for day in summary_days -%}
    max(case when member_activity.day_number = {{ day }} then 1 else 0 end)
        as is_active_d{{ day }}{% if not loop.last %},{% endif %}
    {% endfor %}
    from cohort_members
    left join member_activity
        on
            cohort_members.cohort_basis = member_activity.cohort_basis
            and cohort_members.user_id = member_activity.user_id
            and member_activity.day_number in ({{ summary_days | join(', ') }})
    group by 1, 2, 3, 4, 5, 6

),

cohorts as (

    select
        cohort_basis,
        cohort_grain,
        cohort_start,
        complete_days_after_cohort,
        count(*) as cohort_size,
    {% for day in summary_days -%}
    sum(is_active_d{{ day }}) as active_users_d{{ day }},
    count(case when last_active_day_number >= {{ day }} then 1 end)
        as unbounded_active_users_d{{ day }}{% if not loop.last %},{% endif %}
    {% endfor %}
    from member_summary_days
    group by 1, 2, 3, 4

),

final as (

    select
        cohort_basis,
        cohort_grain,
        cohort_start,
        cohort_size,
        {% for variant in ['', 'unbounded_'] -%}
        {% for day in summary_days -%}
        case
            when complete_days_after_cohort >= {{ day }}
                then cast({{ variant }}active_users_d{{ day }} as double) / cohort_size
        end as d{{ day }}_{{ variant }}retention_rate{% if not loop.last %},{% endif %}
        {% endfor %}{% if not loop.last %},{% endif %}
        {% endfor %}
    from cohorts

)

select * from final
