{# One row per known user: current profile (hashed email), segments and activity bounds. #}

with

users as (

    select * from {{ ref('stg_landing__users') }}

),

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

countries as (

    select * from {{ ref('country_regions') }}

),

newest_status_day as (

    select max(activity_date) as activity_date
    from user_status

),

latest_status as (

    {# Every user ever active has a row on the newest day, so it carries their bounds. #}
    select
        user_status.user_id,
        user_status.first_activity_date,
        user_status.last_activity_date
    from user_status
    inner join newest_status_day
        on user_status.activity_date = newest_status_day.activity_date

),

final as (

    select
        users.user_id,
        users.email_hash,
        users.age,
        {{ age_band('users.age') }} as age_band,
        users.sign_up_date,
        users.sign_up_country_code as sign_up_country,
        users.country_code as country,
        countries.region,
        users.city,
        users.plan,
        latest_status.first_activity_date,
        latest_status.last_activity_date,
        users.has_requested_deletion,
        users.deletion_requested_at,
        users.updated_at
    from users
    left join latest_status
        on users.user_id = latest_status.user_id
    left join countries
        on users.country_code = countries.country_code

)

select * from final
