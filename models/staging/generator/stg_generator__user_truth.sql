{#
    One row per generated user: the generator's ground truth about churn, typed. Only the
    evaluation of the churn model reads it (int_churn_risk_outcomes).
#}

{{ config(enabled=var('engagement__churn_evaluate_against_truth')) }}

with

source as (

    select * from {{ source('generator', 'user_truth') }}

),

final as (

    select
        cast(user_id as bigint) as user_id,
        cast(churn_date as date) as churn_date,
        cast(churn_reason as {{ dbt.type_string() }}) as churn_reason,
        cast(churn_trigger as {{ dbt.type_string() }}) as churn_trigger,
        cast(decline_start_date as date) as decline_start_date,
        cast(segment as {{ dbt.type_string() }}) as engagement_segment
    from source

)

select * from final
