{# Retention curve by first-activity cohort (dim_user.first_activity_date):
   the 'first_activity' rows of int_cohort_retention_curves, where the logic lives. #}

select * exclude (cohort_basis)
from {{ ref('int_cohort_retention_curves') }}
where cohort_basis = 'first_activity'
