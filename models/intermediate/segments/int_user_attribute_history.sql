{#
    One row per version of a user's profile: every change record in the landing zone
    (base_landing__users, all ingest batches; users who asked for deletion left out), valid from its updated_at to the next
    change's updated_at (valid_to NULL for the current version). Built from the records
    themselves, so two changes that land between two builds are two versions, and the
    history does not depend on how often `dbt snapshot` runs (users_snapshot keeps the
    warehouse's own view of stg_landing__users over time).

    A record delivered twice, or two records with the same updated_at, are one version:
    the same tie-break as stg_landing__users (latest arrival, then file name, then change
    type), so the current version here is always the row stg_landing__users shows.
#}

with

user_changes as (

    select * from {{ ref('base_landing__users') }}
    where user_id > 0

),

user_tombstones as (

    select * from {{ ref('stg_landing__user_tombstones') }}

),

erased_users as (

    {# A user who asked for deletion has no history here (the request may be in this run's
       batch, not yet on the suppression list when this model was last built). #}
    select user_id from user_tombstones
    union
    select user_id from user_changes
    where is_deletion_request

),

changes_ranked as (

    select
        *,
        row_number() over (
            partition by user_id, updated_at
            order by ingested_at desc, file_name desc, change_type desc
        ) as duplicate_rank
    from user_changes
    where
        updated_at is not null
        and user_id not in (select erased_users.user_id from erased_users)

),

versions as (

    select
        user_id,
        updated_at as valid_from,
        lead(updated_at) over (partition by user_id order by updated_at) as valid_to,
        row_number() over (partition by user_id order by updated_at) as version_number,
        change_type,
        is_deletion_request,
        country_code,
        city,
        plan,
        age,
        sign_up_date,
        sign_up_country_code,
        ingested_at,
        ingest_batch_id
    from changes_ranked
    where duplicate_rank = 1

),

final as (

    select
        user_id,
        version_number,
        valid_from,
        valid_to,
        valid_to is null as is_current_version,
        change_type,
        is_deletion_request,
        country_code,
        city,
        plan,
        age,
        sign_up_date,
        sign_up_country_code,
        ingested_at,
        ingest_batch_id
    from versions

)

select * from final
