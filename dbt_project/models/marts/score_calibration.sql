-- How often accounts of each band actually churned: what a band has meant in this
-- warehouse's own history, for reading the bands. Not a churn risk of an account: the
-- CRMs, customer_360 and renewals carry the churn model's calibrated probability.
-- One row per health band, pooled over the evaluation dates of score_validation
-- (docs/health-score.md, "Does it predict churn?") for the horizon var churn_risk_horizon_days (180):
--   observed_churn_rate  churned / observed accounts of the band
--   smoothed_churn_rate  the same, shrunk towards the overall rate with the weight of
--                        var churn_risk_prior_weight observations, so a band seen only a
--                        few times is not given 0 % or 100 %:
--                        (n_churned + k x overall_rate) / (n_observations + k)
-- NULL when there is nothing to learn from yet (no evaluation date with a known outcome).

{%- set k = var('churn_risk_prior_weight') %}

with labeled as (
    select * from {{ ref('int_validation__rated_pairs') }}
    where model = 'health_score'
        and horizon_days = {{ var('churn_risk_horizon_days') }}
),

bands as (
    select distinct band as health_band
    from {{ ref('health_band_thresholds') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
),

overall as (
    select count(*) as n_observations, count(*) filter (where churned) as n_churned
    from labeled
),

per_band as (
    select health_band, count(*) as n_observations, count(*) filter (where churned) as n_churned
    from labeled
    group by health_band
)

select
    bands.health_band,
    {{ var('churn_risk_horizon_days') }} as horizon_days,
    coalesce(per_band.n_observations, 0) as n_observations,
    coalesce(per_band.n_churned, 0) as n_churned,
    round({{ ratio('per_band.n_churned', 'per_band.n_observations') }}, 4) as observed_churn_rate,
    round({{ ratio('overall.n_churned', 'overall.n_observations') }}, 4) as overall_churn_rate,
    case when overall.n_observations > 0 then round(
        (coalesce(per_band.n_churned, 0) + {{ k }} * cast(overall.n_churned as {{ type_double() }}) / overall.n_observations)
        / (coalesce(per_band.n_observations, 0) + {{ k }}),
        4)
    end as smoothed_churn_rate
from bands
cross join overall
left join per_band
    on bands.health_band = per_band.health_band
