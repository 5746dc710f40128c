{{
    config(
        materialized=keyed_upsert_materialization(),
        incremental_strategy=upsert_strategy(),
        unique_key='user_id',
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'last_ingest_batch_id') }}",
        ],
    )
}}

{#
    One row per user: the latest change record wins (by updated_at, then arrival).
    Plaintext email never leaves this model: only its hash is exposed.
    A user with a deletion request is left out entirely (stg_landing__user_tombstones
    keeps the request; every user-level model erases the user).

    Incremental on the users the new ingest batches touch: a user with a change record
    in a batch newer than last_ingest_batch_id is recomputed from all of their records
    (so the delivery dedupe, change_count and the deletion check see every record, as a
    full refresh does) and replaces their row (delete+insert on user_id); every other
    user is not read past the user_id column. The records are read typed, from the change
    log stg_landing__user_changes (each batch typed once, when it landed), never parsed
    again. A user who asked for deletion has no row to insert (the change log leaves their
    new records out, and the suppression list is checked here too: on plain Parquet, where
    the change log cannot delete, their older records stay there); the pre-hook deletes
    their stored row. A batch holding only such requests leaves the watermark where it was
    and is read again next run, which changes nothing.
#}

{%- set last_batch = last_ingest_batch() %}

with

user_changes as (

    select * from {{ ref('stg_landing__user_changes') }}

),
{%- if is_incremental() %}

new_user_changes as (

    {# The new batches' user ids, read apart (two columns; zone maps prune the old batches):
       were changed_users a filter on user_changes, DuckDB would materialise every column of
       every record once for its two readers, instead of fetching only the changed users'. #}
    select user_id from {{ ref('stg_landing__user_changes') }}
    where ingest_batch_id > {{ last_batch }}

),
{%- endif %}

user_tombstones as (

    select user_id from {{ ref('stg_landing__user_tombstones') }}

),

changes_valid as (

    select user_changes.*
    from user_changes
    left join user_tombstones
        on user_changes.user_id = user_tombstones.user_id
    where
        user_changes.user_id > 0
        and user_tombstones.user_id is null

),

{%- if is_incremental() %}

changed_users as (

    select distinct user_id
    from new_user_changes

),
{%- endif %}

changes_in_scope as (

    {# A full refresh: every user. #}
    select changes_valid.*
    from changes_valid
    {%- if is_incremental() %}
    inner join changed_users
        on changes_valid.user_id = changed_users.user_id
    {%- endif %}

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
    from changes_in_scope

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
        count(*) over (partition by user_id) as change_count,
        cast(max(ingest_batch_id) over (partition by user_id) as bigint) as last_ingest_batch_id
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
        ingested_at,
        last_ingest_batch_id
    from changes_ranked
    where
        recency_rank = 1
        and deletion_requested_at is null

)

select * from final
