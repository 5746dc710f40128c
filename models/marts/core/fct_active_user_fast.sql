{{
    config(
        materialized='incremental',
        incremental_strategy=upsert_strategy(),
        unique_key='activity_date',
        partition_by=date_partition('activity_date'),
    )
}}

-- depends_on: {{ ref('fct_daily_activity') }}
-- depends_on: {{ ref('fct_privacy_erasures') }}

{#
    One row per UTC day: DAU, WAU, MAU, stickiness and growth accounting.
    Reads only dim_daily_user_status (and, for its compile-time watermark, the new rows
    of fct_daily_activity). Incremental: every day from the first day whose status rows
    changed since the last run, or since which a user erased since the last run was
    counted (fct_privacy_erasures), is recomputed; the rollup keeps
    every day it ever computed, also those older than the kept status history.
    A full refresh recomputes every day, which needs dim_daily_user_status's own
    full-refresh history (every day): it refuses to run, saying what to do, when the
    status table covers fewer days than the activity does.
#}

{#- A full refresh only: the status table holds every day exactly when its first day is its
    users' first active day (an incremental run reads neither aggregate: both scan the table). -#}
{%- set full_refresh = execute and not is_incremental() -%}
{%- set status = ref('dim_daily_user_status') -%}
{%- set status_from = get_aggregate_value(status, 'min(activity_date)') if full_refresh -%}
{%- set activity_from = get_aggregate_value(status, 'min(first_activity_date)') if full_refresh -%}
{%- if full_refresh and status_from != activity_from -%}
        {{ exceptions.raise_compiler_error(
            "fct_active_user_fast: a full refresh recomputes every day since " ~ activity_from
            ~ ", but dim_daily_user_status only holds days since " ~ status_from
            ~ ". Rebuild both: dbt build --full-refresh --select dim_daily_user_status+"
        ) }}
{%- endif %}

with

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

{% if is_incremental() -%}
{#- The first day whose status rows changed since the last run: the first day with active
    rows from later ingest batches (status rows change from there on). A compile-time literal,
    so only the status rows of the rebuilt days are read. -#}
{%- set rebuild_from = active_user_rebuild_from() -%}
{#- Users erased since the last run leave every day they were counted on. -#}
{%- set erased_from = erased_user_rebuild_from(ref('fct_privacy_erasures')) -%}
{%- if erased_from and (not rebuild_from or erased_from | string < rebuild_from | string) -%}
    {%- set rebuild_from = erased_from -%}
{%- endif %}
user_status_to_aggregate as (

    select *
    from user_status
    {%- if not rebuild_from %}
    where false
    {%- else %}
    where activity_date >= date '{{ rebuild_from }}'
    {%- endif %}

),

{% else -%}
user_status_to_aggregate as (

    select * from user_status

),

{% endif -%}

daily_counts as (

    select
        activity_date,
        count(case when is_active then 1 end) as dau,
        count(case when is_weekly_active then 1 end) as wau,
        count(case when is_monthly_active then 1 end) as mau,
        count(case when daily_status = 'new' then 1 end) as new_users,
        count(case when daily_status = 'retained' then 1 end) as retained_users,
        count(case when daily_status = 'resurrected' then 1 end) as resurrected_users,
        count(case when daily_status = 'churned' then 1 end) as churned_users,
        count(case when daily_status = 'stale' then 1 end) as stale_users,
        count(case when weekly_status = 'new' then 1 end) as weekly_new_users,
        count(case when weekly_status = 'retained' then 1 end) as weekly_retained_users,
        count(case when weekly_status = 'resurrected' then 1 end) as weekly_resurrected_users,
        count(case when weekly_status = 'churned' then 1 end) as weekly_churned_users,
        count(case when weekly_status = 'stale' then 1 end) as weekly_stale_users,
        cast(sum(days_active_l28) as bigint) as sum_days_active_l28,
        max(activity_last_ingested_at) as last_ingested_at,
        max(activity_last_ingest_batch_id) as last_ingest_batch_id
    from user_status_to_aggregate
    group by 1

),

final as (

    select
        activity_date,
        dau,
        wau,
        mau,
        cast(dau as double) / nullif(mau, 0) as stickiness,
        new_users,
        retained_users,
        resurrected_users,
        churned_users,
        stale_users,
        cast(new_users + resurrected_users as double) / nullif(churned_users, 0) as quick_ratio,
        weekly_new_users,
        weekly_retained_users,
        weekly_resurrected_users,
        weekly_churned_users,
        weekly_stale_users,
        cast(weekly_new_users + weekly_resurrected_users as double)
        / nullif(weekly_churned_users, 0) as weekly_quick_ratio,
        sum_days_active_l28,
        last_ingested_at,
        last_ingest_batch_id
    from daily_counts

)

select * from final
