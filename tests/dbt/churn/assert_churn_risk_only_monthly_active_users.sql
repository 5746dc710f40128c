-- fct_user_churn_risk holds exactly the monthly-active user-days of dim_daily_user_status:
-- no row for a user who was not monthly-active on D, and no monthly-active user-day missing.

with

churn_risk as (

    select * from {{ ref('fct_user_churn_risk') }}

),

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

monthly_active_users as (

    select
        activity_date,
        user_id
    from user_status
    where is_monthly_active

),

mismatches as (

    select
        coalesce(churn_risk.activity_date, monthly_active_users.activity_date) as activity_date,
        coalesce(churn_risk.user_id, monthly_active_users.user_id) as user_id,
        case
            when monthly_active_users.user_id is null then 'scored but not monthly-active'
            else 'monthly-active but not scored'
        end as problem
    from churn_risk
    full outer join monthly_active_users
        on
            churn_risk.activity_date = monthly_active_users.activity_date
            and churn_risk.user_id = monthly_active_users.user_id
    where churn_risk.user_id is null or monthly_active_users.user_id is null

)

select * from mismatches
