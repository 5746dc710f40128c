{#
    Read and type: one row per landed user change record of the ingest batches, every
    declared text field cast to its type. Records without a valid user id are dropped
    here (they cannot belong to anyone's history). Read by stg_landing__users (the latest
    record per user) and int_user_attribute_history (every change, valid_from/valid_to).
#}

with

source as (

    select * from {{ source('landing', 'users') }}

),

changes_typed as (

    {# Every field landed as text; email_hash is the keyed hash the ingest step computed. #}
    select
        {{ parse_integer_text('user_id') }} as user_id,
        email_hash,
        {{ parse_integer_text('age', 'integer') }} as age,
        try_cast(sign_up_date as date) as sign_up_date,
        upper(trim(sign_up_country)) as sign_up_country_code,
        upper(trim(country)) as country_code,
        trim(city) as city,
        lower(trim(plan)) as plan,
        lower(trim(change_type)) as change_type,
        coalesce(lower(trim(is_deletion_request)) = 'true', false) as is_deletion_request,
        {{ parse_iso_timestamp_utc('updated_at') }} as updated_at,
        {{ parse_iso_timestamp_utc('ingested_at') }} as ingested_at,
        file_name
    from source

),

final as (

    select * from changes_typed
    where user_id > 0

)

select * from final
