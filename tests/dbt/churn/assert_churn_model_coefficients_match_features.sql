-- seeds/churn_model_coefficients.csv holds exactly the features of macro churn_model_features
-- plus one intercept: a feature added to the model but not fitted (or a stale seed row) fails.

with

coefficients as (

    select * from {{ ref('churn_model_coefficients') }}

),

expected as (

    select 'intercept' as feature
    {% for feature in churn_model_features() -%}
    union all
    select '{{ feature }}' as feature
    {% endfor %}

),

mismatches as (

    select
        coalesce(coefficients.feature, expected.feature) as feature,
        case
            when coefficients.feature is null then 'feature without a coefficient'
            else 'coefficient of an unknown feature'
        end as problem
    from coefficients
    full outer join expected
        on coefficients.feature = expected.feature
    where coefficients.feature is null or expected.feature is null

)

select * from mismatches
