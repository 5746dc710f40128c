{{
    config(
        materialized=keyed_upsert_materialization(),
        incremental_strategy=upsert_strategy(),
        unique_key='user_id',
        pre_hook=[
            "{{ erase_tombstoned_users(ref('stg_landing__user_tombstones'), 'profile_last_ingest_batch_id') }}",
        ],
    )
}}

-- depends_on: {{ ref('stg_landing__user_tombstones') }}

{#
    One row per known user: current profile (hashed email), segments and activity bounds.
    The bounds come from the compact status state (one row per user ever active), not from
    the newest day of dim_daily_user_status, which would scan the kept days to find it.

    Incremental on the users that changed since the last run (delete+insert on user_id):
    those with a profile record in a newer ingest batch (stg_landing__users) and those
    whose activity state folded in a newer batch (int_user_activity_states); each side
    has its own watermark column. Erased users are deleted by the pre-hook. A change to
    the country_regions seed or to the age bands needs a --full-refresh of this model.
#}

{%- set profile_watermark = last_ingest_batch('profile_last_ingest_batch_id') %}
{%- set activity_watermark = last_ingest_batch('activity_last_ingest_batch_id') %}

with

all_users as (

    select * from {{ ref('stg_landing__users') }}

),

all_activity_states as (

    select * from {{ ref('int_user_activity_states') }}

),
{%- if is_incremental() %}

changed_users as (

    select user_id from all_users
    where last_ingest_batch_id > {{ profile_watermark }}
    union
    select user_id from all_activity_states
    where last_ingest_batch_id > {{ activity_watermark }}

),
{%- endif %}

users as (

    {# A full refresh: every user. #}
    select all_users.*
    from all_users
    {%- if is_incremental() %}
    inner join changed_users
        on all_users.user_id = changed_users.user_id
    {%- endif %}

),

activity_states as (

    select all_activity_states.*
    from all_activity_states
    {%- if is_incremental() %}
    inner join changed_users
        on all_activity_states.user_id = changed_users.user_id
    {%- endif %}

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
        users.updated_at,
        users.last_ingest_batch_id as profile_last_ingest_batch_id,
        activity_states.last_ingest_batch_id as activity_last_ingest_batch_id
    from users
    left join activity_states
        on users.user_id = activity_states.user_id
    left join countries
        on users.country_code = countries.country_code

)

select * from final
