{{
    config(
        materialized='incremental',
        incremental_strategy=rebuilt_days_strategy(),
        partition_by=date_partition('activity_date'),
        pre_hook=["{{ delete_rebuilt_days(analysis_rebuild_from()) }}"],
        post_hook=["{{ prune_to_status_history() }}"],
    )
}}

-- depends_on: {{ ref('fct_daily_activity') }}
-- depends_on: {{ ref('fct_privacy_erasures') }}

{#
    Quality of experience of each user's playbacks over the engagement__churn_qoe_window_days
    (default 14) days ending each day of dim_daily_user_status, beside the service-wide norm
    over the same days (all users, all client platforms). Feeds the has_poor_qoe reason of
    fct_user_churn_risk; kept apart so the ratio and percentile maths can be unit-tested.
    Incremental: every day from analysis_rebuild_from on is rebuilt for every user (the
    norm is over all users), reading playbacks from window_days - 1 days before it.
#}

{%- set window_days = var('engagement__churn_qoe_window_days') %}
{%- set rebuild_from = analysis_rebuild_from() %}

with

view_events as (

    select * from {{ ref('fct_view_events') }}

),

user_status as (

    select * from {{ ref('dim_daily_user_status') }}

),

scoring_days as (

    select distinct activity_date
    from user_status
    where {{ rebuilt_days_filter('activity_date', rebuild_from) }}

),

playbacks as (

    {# Zero-length spans carry no watch time to rebuffer against. #}
    select
        user_id,
        activity_date,
        duration_seconds,
        startup_ms,
        coalesce(rebuffer_ms, 0) as rebuffer_ms
    from view_events
    where
        event_type = 'playback'
        and duration_seconds > 0
        and {{ rebuilt_days_filter('activity_date', rebuild_from, window_days - 1) }}

),

playbacks_in_window as (

    select
        scoring_days.activity_date,
        playbacks.user_id,
        playbacks.duration_seconds,
        playbacks.startup_ms,
        playbacks.rebuffer_ms
    from scoring_days
    inner join playbacks
        on
            scoring_days.activity_date >= playbacks.activity_date
            and scoring_days.activity_date - {{ window_days }} < playbacks.activity_date

),

user_quality as (

    select
        activity_date,
        user_id,
        count(*) as qoe_playbacks,
        sum(duration_seconds) as qoe_playback_seconds,
        sum(rebuffer_ms) as qoe_rebuffer_ms,
        sum(rebuffer_ms) / (1000.0 * sum(duration_seconds)) as rebuffer_ratio,
        {{ percentile_cont('startup_ms', 0.9) }} as startup_p90_ms
    from playbacks_in_window
    group by 1, 2

),

service_norm as (

    select
        activity_date,
        sum(rebuffer_ms) / (1000.0 * sum(duration_seconds)) as norm_rebuffer_ratio,
        {{ percentile_cont('startup_ms', 0.9) }} as norm_startup_p90_ms
    from playbacks_in_window
    group by 1

),

final as (

    select
        user_quality.activity_date,
        user_quality.user_id,
        user_quality.qoe_playbacks,
        user_quality.qoe_playback_seconds,
        user_quality.qoe_rebuffer_ms,
        user_quality.rebuffer_ratio,
        user_quality.startup_p90_ms,
        service_norm.norm_rebuffer_ratio,
        service_norm.norm_startup_p90_ms,
        cast({{ newest_ingest_batch() }} as bigint) as last_ingest_batch_id
    from user_quality
    inner join service_norm
        on user_quality.activity_date = service_norm.activity_date

)

select * from final
