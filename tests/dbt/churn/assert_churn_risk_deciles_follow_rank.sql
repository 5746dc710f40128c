-- Per scoring day: risk_rank runs 1..n without gaps, deciles never invert the score order
-- (every score in decile k is >= every score in decile k + 1) and decile sizes differ by at most 1.

with

churn_risk as (

    select * from {{ ref('fct_user_churn_risk') }}

),

daily_ranks as (

    select
        activity_date,
        count(*) as scored_users,
        count(distinct risk_rank) as distinct_ranks,
        min(risk_rank) as min_rank,
        max(risk_rank) as max_rank
    from churn_risk
    group by 1

),

deciles as (

    select
        activity_date,
        risk_decile,
        count(*) as decile_users,
        min(risk_score) as min_score,
        max(risk_score) as max_score
    from churn_risk
    group by 1, 2

),

rank_gaps as (

    select
        activity_date,
        'risk_rank is not 1..n' as problem
    from daily_ranks
    where distinct_ranks <> scored_users or min_rank <> 1 or max_rank <> scored_users

),

inverted_deciles as (

    select
        higher.activity_date,
        'decile ' || cast(higher.risk_decile as varchar) || ' scores below the next decile' as problem
    from deciles as higher
    inner join deciles as lower
        on
            higher.activity_date = lower.activity_date
            and lower.risk_decile = higher.risk_decile + 1
    where higher.min_score < lower.max_score

),

uneven_deciles as (

    select
        activity_date,
        'decile sizes differ by more than one' as problem
    from deciles
    group by 1
    having max(decile_users) - min(decile_users) > 1

)

select * from rank_gaps
union all
select * from inverted_deciles
union all
select * from uneven_deciles
