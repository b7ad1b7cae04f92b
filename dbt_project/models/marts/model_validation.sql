-- How well each score, churn model version and alert kind predicts 90-day churn, judged
-- the way contract section 6 says, so figures from different runs and worlds compare:
--   evaluation dates E = (today - 90 days) - k months, k = 0..11, that the history covers;
--   population: every account with a health score on E (a contract covers E);
--   churned: that contract ends in (E, E + 90] and was not renewed;
--   auc: pooled over every (E, account) pair, the probability that a churned pair was
--     rated riskier than a retained one (ties half); renewal_cohort_auc: only the pairs
--     whose contract ends in (E, E + 90], label not renewed (health apart from timing);
--   top_decile_lift: churn rate of the riskiest 10 % of pairs over the overall rate;
--   brier, ece (models with a probability): mean squared error, and the count-weighted
--     mean |mean predicted - observed| over deciles of the prediction (equal-count bins,
--     the rows of marts.score_reliability).
-- One row per (model, model_version): model 'health_score' (the score, lower = riskier),
-- 'churn_model' for all versions pooled (model_version 'all') and for each version alone,
-- and 'alert:<kind>' per alert kind: alerts fired whose 90-day outcome is known, the share
-- of them whose account churned within 90 days of the alert, against the base rate of all
-- scored days with a known outcome (alert_lift = the ratio).

{%- set horizon = 90 %}

with world as (
    select as_of_date as world_date from {{ ref('int_calendar__as_of_date') }}
),

outcomes as (
    select * from {{ ref('int_crm__contract_outcomes') }}
),

rated as (
    select * from {{ ref('int_validation__rated_pairs') }}
),

populations as (
    select *, 'all' as population from rated
    union all
    select *, 'renewal_cohort' from rated where in_renewal_cohort
),

ranked as (
    select
        *,
        rank() over (partition by model, model_version, population order by risk)
            + (count(*) over (partition by model, model_version, population, risk) - 1) / 2.0 as risk_rank,
        row_number() over (
            partition by model, model_version, population order by risk desc, evaluated_on, account_id
        ) as risk_order,
        count(*) over (partition by model, model_version, population) as n_in_group,
        ntile(10) over (partition by model, model_version, population order by probability) as decile
    from populations
),

areas as (
    select
        model,
        model_version,
        population,
        count(*) as n_pairs,
        count(*) filter (where churned) as n_churned,
        case when count(*) filter (where churned) > 0 and count(*) filter (where not churned) > 0 then
            (sum(risk_rank) filter (where churned)
                - count(*) filter (where churned) * (count(*) filter (where churned) + 1) / 2.0)
            / (count(*) filter (where churned) * count(*) filter (where not churned))
        end as auc,
        count(*) filter (where risk_order <= ceil(n_in_group / 10.0) and churned)
            / ceil(any_value(n_in_group) / 10.0) as top_decile_churn_rate,
        avg(power(probability - cast(churned as double), 2)) as brier,
        {%- for band in ['red', 'yellow', 'green'] %}
        count(*) filter (where health_band = '{{ band }}' and churned)
            / nullif(count(*) filter (where health_band = '{{ band }}'), 0) as churn_rate_{{ band }},
        {%- endfor %}
        min(evaluated_on) as first_evaluated_on,
        max(evaluated_on) as last_evaluated_on
    from ranked
    group by model, model_version, population
),

calibration_bins as (
    select model, model_version, decile, count(*) as n,
        abs(avg(probability) - avg(cast(churned as double))) as gap
    from ranked
    where population = 'all' and probability is not null
    group by model, model_version, decile
),

calibration as (
    select model, model_version, sum(n * gap) / sum(n) as ece
    from calibration_bins
    group by model, model_version
),

scored_days as (
    -- every scored day whose 90-day outcome is known: the base rate the alerts face
    select
        scores.account_id,
        scores.as_of_date,
        coalesce(outcomes.outcome = 'churned'
            and outcomes.end_date > scores.as_of_date
            and outcomes.end_date <= {{ add_days('scores.as_of_date', horizon) }}, false) as churned
    from {{ ref('health_scores') }} as scores
    cross join world
    left join outcomes
        on scores.contract_id = outcomes.contract_id
    where {{ add_days('scores.as_of_date', horizon) }} <= world.world_date
),

base as (
    select avg(cast(churned as double)) as base_churn_rate from scored_days
),

alerts as (
    select
        'alert:' || alerts.kind as model,
        count(*) as alerts_fired,
        count(*) filter (where scored_days.churned) as n_churned,
        avg(cast(scored_days.churned as double)) as churn_rate
    from {{ ref('alerts') }} as alerts
    inner join scored_days
        on alerts.account_id = scored_days.account_id
        and alerts.triggered_on = scored_days.as_of_date
    group by alerts.kind
),

models as (
    select
        everyone.model,
        everyone.model_version,
        everyone.n_pairs,
        everyone.n_churned,
        everyone.n_churned / everyone.n_pairs as churn_rate,
        everyone.auc,
        cohort.n_pairs as renewal_cohort_n,
        cohort.auc as renewal_cohort_auc,
        everyone.top_decile_churn_rate / nullif(everyone.n_churned / everyone.n_pairs, 0) as top_decile_lift,
        everyone.brier,
        calibration.ece,
        everyone.churn_rate_red,
        everyone.churn_rate_yellow,
        everyone.churn_rate_green,
        everyone.first_evaluated_on,
        everyone.last_evaluated_on
    from areas as everyone
    left join areas as cohort
        on everyone.model = cohort.model
        and everyone.model_version = cohort.model_version
        and cohort.population = 'renewal_cohort'
    left join calibration
        on everyone.model = calibration.model
        and everyone.model_version = calibration.model_version
    where everyone.population = 'all'
)

select
    model, model_version, {{ horizon }} as horizon_days,
    n_pairs, n_churned, round(churn_rate, 4) as churn_rate,
    round(auc, 4) as auc, renewal_cohort_n, round(renewal_cohort_auc, 4) as renewal_cohort_auc,
    round(top_decile_lift, 4) as top_decile_lift, round(brier, 5) as brier, round(ece, 5) as ece,
    round(churn_rate_red, 4) as churn_rate_red, round(churn_rate_yellow, 4) as churn_rate_yellow,
    round(churn_rate_green, 4) as churn_rate_green,
    cast(null as bigint) as alerts_fired, cast(null as double) as base_churn_rate, cast(null as double) as alert_lift,
    first_evaluated_on, last_evaluated_on
from models
union all
select
    alerts.model, 'all', {{ horizon }},
    alerts.alerts_fired, alerts.n_churned, round(alerts.churn_rate, 4),
    null, null, null, null, null, null, null, null, null,
    alerts.alerts_fired, round(base.base_churn_rate, 4), round(alerts.churn_rate / nullif(base.base_churn_rate, 0), 4),
    null, null
from alerts
cross join base
