{# Retention curve by sign-up cohort (dim_user.sign_up_date):
   the 'signup' rows of int_cohort_retention_curves, where the logic lives. #}

select
    cohort_grain,
    cohort_start,
    period_number,
    cohort_size,
    active_users,
    retention_rate,
    unbounded_active_users,
    unbounded_retention_rate
from {{ ref('int_cohort_retention_curves') }}
where cohort_basis = 'signup'
