{# Retention curve by sign-up cohort (dim_user.sign_up_date).
   The logic lives in macro retention_curve (macros/retention). #}

{{ retention_curve('signup') }}
