{#
    Read and type (a view over the ingest batches): one row per landed user change
    record, every declared text field cast to its type. Nothing is filtered here:
    stg_landing__user_tombstones keeps the deletion requests, and stg_landing__user_changes
    stores each batch's records once, typed, without the erased users (what
    stg_landing__users and int_user_attribute_history read). Both read only new batches.
#}

with

source as (

    select * from {{ source('landing', 'users') }}

),

typed as (

    {# Every field landed as text; email_hash is the keyed hash the ingest step computed. #}
    select
        ingest_batch_id,
        file_name,
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
        {{ parse_iso_timestamp_utc('ingested_at') }} as ingested_at
    from source

)

select * from typed
