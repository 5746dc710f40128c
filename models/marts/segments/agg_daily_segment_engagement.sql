{#
    One row per (activity_date, segment_type, segment_value): DAU, WAU, MAU, stickiness and
    daily growth accounting of the users in that segment on that day, for every day kept in
    dim_daily_user_status.

    Single-valued segment types (each user in exactly one segment per day) come from
    int_user_segments_daily in one pass; their rows sum to the total.
    Platform is multi-valued: its rows come from int_platform_engagement_daily (statuses of
    (user, platform) pairs) and do NOT sum to the total.
#}

{%- set exclusive_segment_types = [
    'country', 'country_current', 'region', 'region_current', 'plan', 'plan_current',
    'age_band', 'age_band_current', 'signup_cohort', 'tenure_band',
] -%}

with

user_segments as (

    select * from {{ ref('int_user_segments_daily') }}

),

platform_engagement as (

    select * from {{ ref('int_platform_engagement_daily') }}

),

segment_types as (

    {# The single-valued segment types, plus the total as its own one-segment type. #}
    select 'total' as segment_type
    {%- for segment_type in exclusive_segment_types %}
    union all
    select '{{ segment_type }}' as segment_type
    {%- endfor %}

),

user_segment_memberships as (

    {# Each user-day once per segment type: the segment it falls in (never NULL upstream). #}
    select
        user_segments.activity_date,
        segment_types.segment_type,
        case segment_types.segment_type
            {%- for segment_type in exclusive_segment_types %}
            when '{{ segment_type }}' then user_segments.{{ segment_type }}
            {%- endfor %}
            else 'all'
        end as segment_value,
        user_segments.is_active,
        user_segments.is_weekly_active,
        user_segments.is_monthly_active,
        user_segments.daily_status
    from user_segments
    cross join segment_types

),

exclusive_segment_counts as (

    select
        activity_date,
        segment_type,
        segment_value,
        count(case when is_active then 1 end) as dau,
        count(case when is_weekly_active then 1 end) as wau,
        count(case when is_monthly_active then 1 end) as mau,
        count(case when daily_status = 'new' then 1 end) as new_users,
        count(case when daily_status = 'retained' then 1 end) as retained_users,
        count(case when daily_status = 'resurrected' then 1 end) as resurrected_users,
        count(case when daily_status = 'churned' then 1 end) as churned_users,
        count(case when daily_status = 'stale' then 1 end) as stale_users
    from user_segment_memberships
    group by 1, 2, 3

),

platform_segment_counts as (

    select
        activity_date,
        'platform' as segment_type,
        platform as segment_value,
        dau,
        wau,
        mau,
        new_users,
        retained_users,
        resurrected_users,
        churned_users,
        stale_users
    from platform_engagement

),

segment_counts as (

    select * from exclusive_segment_counts
    union all
    select * from platform_segment_counts

),

final as (

    select
        activity_date,
        segment_type,
        segment_value,
        segment_type <> 'platform' as is_exclusive_segment_type,
        cast(dau as bigint) as dau,
        cast(wau as bigint) as wau,
        cast(mau as bigint) as mau,
        cast(dau as double) / nullif(mau, 0) as stickiness,
        cast(new_users as bigint) as new_users,
        cast(retained_users as bigint) as retained_users,
        cast(resurrected_users as bigint) as resurrected_users,
        cast(churned_users as bigint) as churned_users,
        cast(stale_users as bigint) as stale_users,
        cast(new_users + resurrected_users as double) / nullif(churned_users, 0) as quick_ratio
    from segment_counts

)

select * from final
