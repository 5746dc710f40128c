-- For day cohorts, the wide summary's day-N rates equal the long curves' period N
-- (on-day and unbounded), and a summary rate is NULL exactly when the curve has no
-- such period (incomplete). Two implementations of the same definition must agree.

{%- set summary_day_numbers = [1, 7, 14, 28] %}

with

summary as (

    select * from {{ ref('agg_cohort_retention_summary') }}
    where cohort_grain = 'day'

),

curves as (

    {# Both cohort bases: the rows agg_signup_ and agg_first_activity_cohort_retention_curve select. #}
    select * from {{ ref('int_cohort_retention_curves') }}
    where cohort_grain = 'day'

),

summary_days as (

    {%- for day_number in summary_day_numbers %}
    select
        cohort_basis,
        cohort_start,
        cohort_size,
        {{ day_number }} as period_number,
        d{{ day_number }}_retention_rate as retention_rate,
        d{{ day_number }}_unbounded_retention_rate as unbounded_retention_rate
    from summary
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

compared as (

    select
        summary_days.cohort_basis,
        summary_days.cohort_start,
        summary_days.period_number,
        summary_days.cohort_size,
        curves.cohort_size as curve_cohort_size,
        summary_days.retention_rate,
        curves.retention_rate as curve_retention_rate,
        summary_days.unbounded_retention_rate,
        curves.unbounded_retention_rate as curve_unbounded_retention_rate
    from summary_days
    left join curves
        on
            summary_days.cohort_basis = curves.cohort_basis
            and summary_days.cohort_start = curves.cohort_start
            and summary_days.period_number = curves.period_number

)

select *
from compared
where
    (retention_rate is null) <> (curve_retention_rate is null)
    or (curve_cohort_size is not null and cohort_size <> curve_cohort_size)
    or abs(retention_rate - curve_retention_rate) > 1e-9
    or abs(unbounded_retention_rate - curve_unbounded_retention_rate) > 1e-9
