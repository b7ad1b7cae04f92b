-- Does the score, and does the churn model, predict churn? Judged as
-- docs/health-score.md, "Does it predict churn?" says, on the pairs of int_validation__rated_pairs (evaluation dates
-- E = (today - 90 days) - k months, k = 0..11; accounts with a contract covering E;
-- churned = that contract ends in (E, E + H] and was not renewed).
-- Three kinds of row (column scope):
--   'date'     one per (evaluated_on, horizon_days, model): the accounts rated on E
--              (model_version = the version that rated E);
--   'version'  one per (horizon_days, model, model_version): every pair a scorecard
--              version or churn model version rated, pooled (evaluated_on NULL);
--   'pooled'   one per (horizon_days, model), model_version 'all': every pair, each E
--              rated by the version in force on it, i.e. the walk-forward figure.
-- Figures (risk: the score negated, or the churn probability):
--   auc                rank-based (Mann-Whitney): the probability that a churned pair was
--                      rated riskier than a retained one, ties half; 0.5 = chance.
--                      NULL unless both classes occur.
--   renewal_cohort_auc the same over the pairs whose contract ends in (E, E + H]
--                      (label: not renewed): health apart from renewal timing.
--   top_decile_lift    churn rate of the riskiest ceil(n / 10) pairs (ties broken by
--                      evaluated_on, account_id) over the churn rate of all of them.
--   brier, ece         models with a probability: mean squared error, and the count-
--                      weighted mean |mean predicted - observed| over ten equal-count bins
--                      of the prediction (the rows of marts.score_reliability).
--   churn_rate_<band>  model health_score: churn rate of the pairs in each band.
--   n_population       accounts with a contract covering E, summed over the row's dates,
--                      rated or not (n_accounts of them were rated).

{%- set group_key = 'scope, scope_evaluated_on, horizon_days, model, scope_version' %}

with rated as (
    select * from {{ ref('int_validation__rated_pairs') }}
),

outcomes as (
    select * from {{ ref('int_crm__contract_outcomes') }}
),

scoped as (
    select 'date' as scope, evaluated_on as scope_evaluated_on, cast(null as {{ dbt.type_string() }}) as scope_version, *
    from rated
    union all
    select 'version', cast(null as date), model_version, *
    from rated
    where model_version is not null
    union all
    select 'pooled', cast(null as date), 'all', *
    from rated
),

ranked as (
    select
        *,
        -- average rank of the risk, ascending (ties share the mean of their ranks)
        rank() over (partition by {{ group_key }} order by risk)
            + (count(*) over (partition by {{ group_key }}, risk) - 1) / 2.0 as risk_rank,
        case when in_renewal_cohort then
            rank() over (partition by {{ group_key }}, in_renewal_cohort order by risk)
                + (count(*) over (partition by {{ group_key }}, in_renewal_cohort, risk) - 1) / 2.0
        end as cohort_risk_rank,
        row_number() over (
            partition by {{ group_key }} order by risk desc, evaluated_on, account_id
        ) as risk_order,
        count(*) over (partition by {{ group_key }}) as n_in_group,
        case when probability is not null then
            ntile(10) over (
                partition by {{ group_key }}, probability is null order by probability, evaluated_on, account_id)
        end as decile
    from scoped
),

calibration_bins as (
    select {{ group_key }}, decile, count(*) as n,
        abs(avg(probability) - avg(cast(cast(churned as integer) as {{ type_double() }}))) as gap
    from ranked
    where decile is not null
    group by {{ group_key }}, decile
),

calibration as (
    select {{ group_key }}, sum(n * gap) / sum(n) as ece
    from calibration_bins
    group by {{ group_key }}
),

population_by_date as (
    -- every account with a contract covering E, rated or not
    select dates.evaluated_on, count(distinct outcomes.account_id) as n_population
    from (select distinct evaluated_on from rated) as dates
    inner join outcomes
        on outcomes.start_date <= dates.evaluated_on
        and outcomes.end_date > dates.evaluated_on
    group by dates.evaluated_on
),

population as (
    select group_dates.scope, group_dates.scope_evaluated_on, group_dates.horizon_days, group_dates.model,
        group_dates.scope_version, sum(population_by_date.n_population) as n_population
    from (select distinct {{ group_key }}, evaluated_on from scoped) as group_dates
    inner join population_by_date
        on group_dates.evaluated_on = population_by_date.evaluated_on
    group by group_dates.scope, group_dates.scope_evaluated_on, group_dates.horizon_days, group_dates.model,
        group_dates.scope_version
),

summary as (
    select
        {{ group_key }},
        case when count(distinct model_version) = 1 then {{ dbt.any_value('model_version') }} end as single_version,
        count(distinct evaluated_on) as n_dates,
        min(evaluated_on) as first_evaluated_on,
        max(evaluated_on) as last_evaluated_on,
        count(*) as n_accounts,
        count(*) filter (where churned) as n_churned,
        count(*) filter (where not churned) as n_retained,
        -- sum of the ranks of the churned pairs: Mann-Whitney U of "churned rated riskier"
        sum(risk_rank) filter (where churned) as churned_rank_sum,
        count(*) filter (where in_renewal_cohort) as renewal_cohort_n,
        count(*) filter (where in_renewal_cohort and churned) as renewal_cohort_churned,
        sum(cohort_risk_rank) filter (where in_renewal_cohort and churned) as cohort_churned_rank_sum,
        count(*) filter (where risk_order <= ceil(n_in_group / 10.0)) as top_decile_n,
        count(*) filter (where risk_order <= ceil(n_in_group / 10.0) and churned) as top_decile_churned,
        avg(power(probability - cast(cast(churned as integer) as {{ type_double() }}), 2)) as brier,
        {%- for band in ['red', 'yellow', 'green'] %}
        count(*) filter (where health_band = '{{ band }}') as n_{{ band }},
        count(*) filter (where health_band = '{{ band }}' and churned) as n_churned_{{ band }},
        {%- endfor %}
        -- summed as decimals: the same mean whatever order an engine adds the rows in
        {{ ratio('sum(cast(score as decimal(18, 6)))', 'count(score)') }} as mean_score,
        avg(probability) as mean_probability
    from ranked
    group by {{ group_key }}
),

figures as (
    select
        summary.*,
        summary.renewal_cohort_n - summary.renewal_cohort_churned as renewal_cohort_retained,
        calibration.ece,
        population.n_population
    from summary
    left join calibration
        on summary.scope = calibration.scope
        and summary.scope_evaluated_on is not distinct from calibration.scope_evaluated_on
        and summary.horizon_days = calibration.horizon_days
        and summary.model = calibration.model
        and summary.scope_version is not distinct from calibration.scope_version
    left join population
        on summary.scope = population.scope
        and summary.scope_evaluated_on is not distinct from population.scope_evaluated_on
        and summary.horizon_days = population.horizon_days
        and summary.model = population.model
        and summary.scope_version is not distinct from population.scope_version
)

select
    scope,
    scope_evaluated_on as evaluated_on,
    horizon_days,
    model,
    case when scope = 'date' then single_version else scope_version end as model_version,
    n_dates,
    first_evaluated_on,
    last_evaluated_on,
    n_population,
    n_accounts,
    n_churned,
    round(cast(n_churned as {{ type_double() }}) / n_accounts, 4) as churn_rate,
    case
        when n_churned > 0 and n_retained > 0 then round(
            (cast(churned_rank_sum as {{ type_double() }}) - n_churned * (n_churned + 1) / 2.0) / (n_churned * n_retained), 4)
    end as auc,
    renewal_cohort_n,
    renewal_cohort_churned,
    case
        when renewal_cohort_churned > 0 and renewal_cohort_retained > 0 then round(
            (cast(cohort_churned_rank_sum as {{ type_double() }}) - renewal_cohort_churned * (renewal_cohort_churned + 1) / 2.0)
            / (renewal_cohort_churned * renewal_cohort_retained), 4)
    end as renewal_cohort_auc,
    top_decile_n,
    top_decile_churned,
    case
        when n_churned > 0 then round((cast(top_decile_churned as {{ type_double() }}) / top_decile_n) / (cast(n_churned as {{ type_double() }}) / n_accounts), 4)
    end as top_decile_lift,
    round(brier, 5) as brier,
    round(ece, 5) as ece,
    {%- for band in ['red', 'yellow', 'green'] %}
    case when model = 'health_score' then n_{{ band }} end as n_{{ band }},
    case when model = 'health_score' then round({{ ratio('n_churned_' ~ band, 'n_' ~ band) }}, 4) end
        as churn_rate_{{ band }},
    {%- endfor %}
    {{ round_float('mean_score', 2) }} as mean_score,
    round(mean_probability, 5) as mean_probability
from figures
