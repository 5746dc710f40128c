{# delete+insert on user_id replaces every version of a recomputed user; a merge (Spark with a
   table format) needs a key unique per row: (user_id, valid_from), as a version only ever goes
   away with its user (the erasure pre-hook). #}
{{
    config(
        materialized=keyed_upsert_materialization(),
        incremental_strategy=upsert_strategy(),
        unique_key=(['user_id', 'valid_from'] if upsert_strategy() == 'merge' else 'user_id'),
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'ingest_batch_id') }}",
        ],
    )
}}

{#
    One row per version of a user's profile: every change record of the typed change log
    (stg_landing__user_changes, all ingest batches; users who asked for deletion left out), valid
    from its updated_at to the next change's updated_at (valid_to NULL for the current
    version). Built from the records themselves, so two changes that land between two builds
    are two versions, and the history does not depend on how often `dbt snapshot` runs
    (users_snapshot keeps the warehouse's own view of stg_landing__users over time).

    A record delivered twice, or two records with the same updated_at, are one version:
    the same tie-break as stg_landing__users (latest arrival, then file name, then change
    type), so the current version here is always the row stg_landing__users shows.

    Incremental on the users the new batches touch: a user with a record in a batch newer
    than the newest ingest_batch_id stored here (a compile-time literal) is recomputed from all
    of their typed records and replaces all of their versions (delete+insert on user_id); no
    other user is read past the user_id column. A user's versions depend on that user's records
    only, so every other row is what a full rebuild would write. Erased users leave through the
    pre-hook (the suppression list, recorded at or after that batch). The newest stored batch
    can lag the newest batch read (a batch holding only requests or re-delivered copies adds no
    version of its own): such a batch is read again next run, which rewrites the same rows.
#}

{%- set last_batch = last_ingest_batch('ingest_batch_id') %}

with

user_changes as (

    select * from {{ ref('stg_landing__user_changes') }}
    where user_id > 0

),
{%- if is_incremental() %}

new_user_changes as (

    {# The new batches' user ids, read apart (as in stg_landing__users: a second reader of
       user_changes would make DuckDB materialise all of it). #}
    select user_id from {{ ref('stg_landing__user_changes') }}
    where ingest_batch_id > {{ last_batch }}

),
{%- endif %}

user_tombstones as (

    select * from {{ ref('stg_landing__user_tombstones') }}

),

{%- if is_incremental() %}

changed_users as (

    select distinct user_id
    from new_user_changes

),
{%- endif %}

changes_in_scope as (

    {# A full build: every user. #}
    select user_changes.*
    from user_changes
    {%- if is_incremental() %}
    inner join changed_users
        on user_changes.user_id = changed_users.user_id
    {%- endif %}

),

erased_users as (

    {# A user who asked for deletion has no history here (the change log leaves such users
       out already; the request is checked again, as stg_landing__users checks it). #}
    select user_id from user_tombstones
    union
    select user_id from changes_in_scope
    where is_deletion_request

),

changes_ranked as (

    select
        *,
        row_number() over (
            partition by user_id, updated_at
            order by ingested_at desc, file_name desc, change_type desc
        ) as duplicate_rank
    from changes_in_scope
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
