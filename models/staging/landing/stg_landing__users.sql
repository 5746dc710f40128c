{#
    One row per user: the latest change record wins (by updated_at, then arrival).
    Plaintext email never leaves this model: only its hash is exposed.
    Deletion requests are kept and flagged; purging is done downstream.
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

changes_valid as (

    select * from changes_typed
    where user_id > 0

),

changes_deduplicated as (

    {# A record delivered twice (the landing sink is at-least-once) lands as two identical
       lines in two files: keep one, so that change_count counts changes, not deliveries. #}
    select *
    from changes_valid
    qualify row_number() over (
        partition by
            user_id, email_hash, age, sign_up_date, sign_up_country_code, country_code, city, plan,
            change_type, is_deletion_request, updated_at, ingested_at
        order by file_name
    ) = 1

),

changes_ranked as (

    select
        *,
        row_number() over (
            partition by user_id
            order by updated_at desc, ingested_at desc, file_name desc, change_type desc
        ) as recency_rank,
        min(case when is_deletion_request then updated_at end) over (
            partition by user_id
        ) as deletion_requested_at,
        count(*) over (partition by user_id) as change_count
    from changes_deduplicated

),

final as (

    select
        user_id,
        email_hash,
        age,
        sign_up_date,
        sign_up_country_code,
        country_code,
        city,
        plan,
        deletion_requested_at is not null as has_requested_deletion,
        deletion_requested_at,
        change_count,
        updated_at,
        ingested_at
    from changes_ranked
    where recency_rank = 1

)

select * from final
