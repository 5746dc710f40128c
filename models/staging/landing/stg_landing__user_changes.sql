{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'ingest_batch_id') }}",
        ],
    )
}}

{#
    The typed change log: one row per landed user change record, with the columns and
    types of base_landing__users, typed once, by the run that first reads its ingest
    batch. Append-only: a run reads only the batches newer than the newest one stored (a
    literal batch filter, which prunes the batch files), so stg_landing__users and
    int_user_attribute_history read typed columns and never parse an old record again.
    Nothing is deduplicated or judged here (a record delivered twice is two rows): the
    readers keep their own rules.

    Privacy: the records of a user on the suppression list are not stored (a later copy of
    a sign-up, the request itself), and the pre-hook deletes the stored records of the users
    recorded at or after this table's newest batch, i.e. those whose request arrived after
    their records were typed. The list reads the requests from base_landing__users (the view
    over the raw zone), never from this table: erasing here cannot lose a request, and the
    list is this table's parent, not its child (no cycle).
#}

{%- set last_batch = last_ingest_batch('ingest_batch_id') %}

with

user_changes as (

    select * from {{ ref('base_landing__users') }}
    where ingest_batch_id > {{ last_batch }}

),

user_tombstones as (

    {# The suppression list, already updated with this run's requests (it is a parent). #}
    select user_id from {{ ref('stg_landing__user_tombstones') }}

),

changes_kept as (

    select user_changes.*
    from user_changes
    left join user_tombstones
        on user_changes.user_id = user_tombstones.user_id
    where user_tombstones.user_id is null

),

final as (

    select
        ingest_batch_id,
        file_name,
        user_id,
        email_hash,
        age,
        sign_up_date,
        sign_up_country_code,
        country_code,
        city,
        plan,
        change_type,
        is_deletion_request,
        updated_at,
        ingested_at
    from changes_kept

)

select * from final
