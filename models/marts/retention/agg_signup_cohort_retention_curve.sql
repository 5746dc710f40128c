{# Retention curve by sign-up cohort (dim_user.sign_up_date):
   the 'signup' rows of int_cohort_retention_curves, where the logic lives. #}

select * exclude (cohort_basis)
from {{ ref('int_cohort_retention_curves') }}
where cohort_basis = 'signup'
