{# Retention curve by first-activity cohort (dim_user.first_activity_date).
   The logic lives in macro retention_curve (macros/retention). #}

{{ retention_curve('first_activity') }}
