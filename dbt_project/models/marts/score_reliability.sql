-- The reliability table of the churn model: the (E, account) pairs of
-- docs/health-score.md, "Does it predict churn?", split
-- into deciles of the predicted probability (equal-count bins, ties broken by
-- evaluated_on, account_id); a calibrated model has mean_predicted close to
-- observed_churn_rate in every decile. One row per (model, model_version, decile):
-- model_version 'all' pools every walk-forward version (each E rated by the version in
-- force), the others are each version alone. ece in marts.score_validation is the
-- count-weighted mean of abs_gap.

with rated as (
    select * from {{ ref('int_validation__rated_pairs') }}
    where probability is not null
),

versions as (
    select horizon_days, model, model_version, evaluated_on, account_id, probability, churned from rated
    union all
    select horizon_days, model, 'all', evaluated_on, account_id, probability, churned from rated
),

binned as (
    select
        *,
        ntile(10) over (
            partition by horizon_days, model, model_version order by probability, evaluated_on, account_id
        ) as decile
    from versions
)

select
    horizon_days,
    model,
    model_version,
    decile,
    count(*) as n_pairs,
    count(*) filter (where churned) as n_churned,
    round(min(probability), 4) as min_predicted,
    round(max(probability), 4) as max_predicted,
    round(avg(probability), 4) as mean_predicted,
    round(avg(cast(cast(churned as integer) as {{ type_double() }})), 4) as observed_churn_rate,
    round(abs(avg(probability) - avg(cast(cast(churned as integer) as {{ type_double() }}))), 4) as abs_gap
from binned
group by horizon_days, model, model_version, decile
