{{
    config(
        materialized='incremental',
        incremental_strategy=rebuilt_days_strategy(),
        partition_by=date_partition('activity_date'),
        pre_hook=[
            "{{ delete_rebuilt_days(analysis_rebuild_from(profile_changes=true), profile_changed_users()) }}",
        ],
        post_hook=["{{ prune_to_status_history() }}"],
    )
}}

-- depends_on: {{ ref('fct_privacy_erasures') }} (runs after the erasure of lines and snapshot versions)
-- depends_on: {{ ref('fct_daily_activity') }}

{#
    One row per user and UTC day of dim_daily_user_status: the user's activity flags and
    statuses that day, with every single-valued segment attribute twice: as of that day
    (from the int_user_attribute_history version valid at the end of the day, built from
    every change record) and as of now (dim_user).

    A version covers day D when valid_from < D+1 00:00 <= valid_to (NULL = open): the
    value the profile had at the end of D, so a change during D counts from D on. Days no
    version covers (before the user's first change record, normally the sign-up) fall back
    to the sign-up country for country/region and to the current profile for plan and age.

    Incremental: every day from analysis_rebuild_from on (profile versions included) for
    every user, and every kept day of the users whose current profile changed
    (profile_changed_users: the "as of now" columns). On plain Parquet a changed user's
    older days are whole partitions, so those days are rebuilt for every user.
#}

{%- set rebuild_from = analysis_rebuild_from(profile_changes=true) %}
{%- if not is_incremental() %}
{%- set or_changed_users = '' %}
{%- elif incremental_overwrites() %}
{%- set or_changed_users = ' or activity_date in (select changed_days.activity_date from '
        ~ ref('dim_daily_user_status') ~ ' as changed_days where changed_days.user_id in ('
        ~ profile_changed_users() ~ '))' %}
{%- else %}
{%- set or_changed_users = ' or user_id in (' ~ profile_changed_users() ~ ')' %}
{%- endif %}

with

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

attribute_history as (

    select * from {{ ref('int_user_attribute_history') }}

),

users as (

    select * from {{ ref('dim_user') }}

),

countries as (

    select * from {{ ref('country_regions') }}

),

user_days as (

    select
        user_id,
        activity_date,
        cast({{ dbt.dateadd('day', 1, 'activity_date') }} as timestamp) as day_ends_at,
        is_active,
        is_weekly_active,
        is_monthly_active,
        daily_status
    from user_status
    where {{ rebuilt_days_filter('activity_date', rebuild_from) }}{{ or_changed_users }}

),

versions_at_day_end as (

    {# Versions are contiguous half-open intervals, so at most one covers a day's end;
       the rank only guards against overlapping versions (latest version wins). #}
    select
        user_days.user_id,
        user_days.activity_date,
        attribute_history.country_code,
        attribute_history.plan,
        attribute_history.age,
        row_number() over (
            partition by user_days.user_id, user_days.activity_date
            order by attribute_history.valid_from desc
        ) as version_rank
    from user_days
    inner join attribute_history
        on
            user_days.user_id = attribute_history.user_id
            and user_days.day_ends_at > attribute_history.valid_from
            and (
                attribute_history.valid_to is null
                or user_days.day_ends_at <= attribute_history.valid_to
            )

),

version_at_day_end as (

    select * from versions_at_day_end
    where version_rank = 1

),

attributes_as_of_day as (

    select
        user_days.user_id,
        user_days.activity_date,
        user_days.is_active,
        user_days.is_weekly_active,
        user_days.is_monthly_active,
        user_days.daily_status,
        version_at_day_end.user_id is not null as is_snapshot_covered,
        case
            when version_at_day_end.user_id is not null then version_at_day_end.country_code
            else users.sign_up_country
        end as country_as_of_day,
        case
            when version_at_day_end.user_id is not null then version_at_day_end.plan
            else users.plan
        end as plan_as_of_day,
        case
            when version_at_day_end.user_id is not null then version_at_day_end.age
            else users.age
        end as age_as_of_day,
        users.country as country_current,
        users.region as region_current,
        users.plan as plan_current,
        users.age_band as age_band_current,
        users.sign_up_date,
        {{ dbt.date_trunc('month', 'users.sign_up_date') }} as sign_up_month,
        {{ dbt.datediff('users.sign_up_date', 'user_days.activity_date', 'day') }}
            as days_since_signup
    from user_days
    left join version_at_day_end
        on
            user_days.user_id = version_at_day_end.user_id
            and user_days.activity_date = version_at_day_end.activity_date
    left join users
        on user_days.user_id = users.user_id

),

final as (

    select
        attributes_as_of_day.user_id,
        attributes_as_of_day.activity_date,
        attributes_as_of_day.is_active,
        attributes_as_of_day.is_weekly_active,
        attributes_as_of_day.is_monthly_active,
        attributes_as_of_day.daily_status,
        attributes_as_of_day.is_snapshot_covered,
        coalesce(attributes_as_of_day.country_as_of_day, 'unknown') as country,
        coalesce(attributes_as_of_day.country_current, 'unknown') as country_current,
        coalesce(countries.region, 'unknown') as region,
        coalesce(attributes_as_of_day.region_current, 'unknown') as region_current,
        coalesce(attributes_as_of_day.plan_as_of_day, 'unknown') as plan,
        coalesce(attributes_as_of_day.plan_current, 'unknown') as plan_current,
        {{ age_band('attributes_as_of_day.age_as_of_day') }} as age_band,
        coalesce(attributes_as_of_day.age_band_current, 'unknown') as age_band_current,
        attributes_as_of_day.sign_up_date,
        coalesce(
            left(cast(attributes_as_of_day.sign_up_month as {{ dbt.type_string() }}), 7),
            'unknown'
        ) as signup_cohort,
        attributes_as_of_day.days_since_signup,
        {{ tenure_band('attributes_as_of_day.days_since_signup') }} as tenure_band,
        cast({{ newest_ingest_batch() }} as bigint) as last_ingest_batch_id
    from attributes_as_of_day
    left join countries
        on attributes_as_of_day.country_as_of_day = countries.country_code

)

select * from final
