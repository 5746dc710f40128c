-- risk_score lies in its documented range [0, churn_risk_score_max()] and equals the sum of the
-- points (vars engagement__churn_weight_*) of the reasons that hold.

with

churn_risk as (

    select * from {{ ref('fct_user_churn_risk') }}

),

recomputed as (

    select
        activity_date,
        user_id,
        risk_score,
        {{ churn_risk_score() }} as expected_risk_score
    from churn_risk

)

select *
from recomputed
where
    risk_score < 0
    or risk_score > {{ churn_risk_score_max() }}
    or risk_score <> expected_risk_score
