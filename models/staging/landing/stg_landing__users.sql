{{ config(materialized='table') }}

{#
    One row per user: the latest change record wins (by updated_at, then arrival).
    A table, unlike the other staging models: ranking every user's change records is the
    costly step at scale (all users, every run), and dim_user, dim_daily_user_status,
    users_snapshot and this model's data tests all read it; as a view each of them
    re-read the landed user batches and re-ranked them.
    Plaintext email never leaves this model: only its hash is exposed.
    A user with a deletion request is left out entirely (stg_landing__user_tombstones
    keeps the request; every user-level model erases the user).
#}

with

user_changes as (

    select * from {{ ref('base_landing__users') }}

),

changes_valid as (

    select * from user_changes
    where user_id > 0

),

changes_numbered as (

    {# A record delivered twice (the landing sink is at-least-once) lands as two identical
       lines in two files: keep one, so that change_count counts changes, not deliveries.
       (A numbered CTE rather than QUALIFY, which Spark lacks.) #}
    select
        *,
        row_number() over (
            partition by
                user_id, email_hash, age, sign_up_date, sign_up_country_code, country_code, city, plan,
                change_type, is_deletion_request, updated_at, ingested_at
            order by file_name
        ) as delivery_order
    from changes_valid

),

changes_deduplicated as (

    select * from changes_numbered
    where delivery_order = 1

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
    where
        recency_rank = 1
        and deletion_requested_at is null

)

select * from final
