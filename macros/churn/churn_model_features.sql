{#- The churn model's inputs: feature columns of int_user_churn_features, in the order of seeds/churn_model_coefficients.csv (the one list the fit, the scoring and the tests share). -#}
{% macro churn_model_features() -%}
    {{ return([
        'feature_log_recency',
        'feature_is_active_today',
        'feature_days_active_l7',
        'feature_days_active_prior_week',
        'feature_active_day_rate_l28',
        'feature_log_watch_minutes_l7',
        'feature_log_watch_minutes_prior_week',
        'feature_session_minutes_trend',
        'feature_log_startup_ratio',
        'feature_log_rebuffer_ratio',
        'feature_log_tenure_days',
        'feature_activity_trend',
        'feature_watch_time_trend',
        'feature_plan_changes_l28',
        'feature_has_downgraded_l28',
        'feature_has_poor_qoe',
    ]) }}
{%- endmacro %}
