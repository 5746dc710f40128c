{#
    One row per known user: current profile (hashed email), segments and activity bounds.
    The bounds come from the compact status state (one row per user ever active), not from
    the newest day of dim_daily_user_status, which would scan the kept days to find it.
#}

with

users as (

    select * from {{ ref('stg_landing__users') }}

),

activity_states as (

    select * from {{ ref('int_user_activity_states') }}

),

countries as (

    select * from {{ ref('country_regions') }}

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
        activity_states.first_activity_date,
        activity_states.last_activity_date,
        users.has_requested_deletion,
        users.deletion_requested_at,
        users.updated_at
    from users
    left join activity_states
        on users.user_id = activity_states.user_id
    left join countries
        on users.country_code = countries.country_code

)

select * from final
