{#
    One row per generated user: the generator's ground truth about churn, typed. Only the
    evaluation of the churn model reads it (int_churn_risk_outcomes).
    A user with a deletion request is left out, like in every user-level model.
#}

{{ config(enabled=var('engagement__churn_evaluate_against_truth')) }}

with

source as (

    select * from {{ source('generator', 'user_truth') }}

),

user_tombstones as (

    select user_id from {{ ref('stg_landing__user_tombstones') }}

),

users_kept as (

    select source.*
    from source
    left join user_tombstones
        on cast(source.user_id as bigint) = user_tombstones.user_id
    where user_tombstones.user_id is null

),

final as (

    select
        cast(user_id as bigint) as user_id,
        cast(churn_date as date) as churn_date,
        cast(churn_reason as {{ dbt.type_string() }}) as churn_reason,
        cast(churn_trigger as {{ dbt.type_string() }}) as churn_trigger,
        cast(decline_start_date as date) as decline_start_date,
        cast(segment as {{ dbt.type_string() }}) as engagement_segment
    from users_kept

)

select * from final
