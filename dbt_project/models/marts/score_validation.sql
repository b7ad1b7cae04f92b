-- Does the score predict churn? One row per (evaluated_on, horizon_days, model), from
-- int_validation__labeled_scores (evaluation dates, population and churn labels of
-- contract section 4):
--   auc              probability that a churned account scored lower than a retained
--                    one (ties count half): rank-based (Mann-Whitney), 0.5 = no better
--                    than chance, 1 = perfect. NULL unless both classes occur.
--   top_decile_lift  churn rate among the lowest-scored 10 % of accounts (ceil(n / 10),
--                    ties broken by account_id) divided by the overall churn rate.
--   churn_rate_<band> churn rate of the accounts in each band on E (model health_score).

with labeled as (
    select * from {{ ref('int_validation__labeled_scores') }}
),

ranked as (
    select
        *,
        -- average rank of the score, ascending (ties share the mean of their ranks)
        rank() over (partition by evaluated_on, horizon_days, model order by score)
            + (count(*) over (partition by evaluated_on, horizon_days, model, score) - 1) / 2.0
            as score_rank,
        row_number() over (
            partition by evaluated_on, horizon_days, model order by score, account_id
        ) as risk_order,
        count(*) over (partition by evaluated_on, horizon_days, model) as n_in_group
    from labeled
),

summary as (
    select
        evaluated_on,
        horizon_days,
        model,
        count(*) as n_accounts,
        count(*) filter (where churned) as n_churned,
        count(*) filter (where not churned) as n_retained,
        -- sum of the ranks of the retained accounts: Mann-Whitney U of "retained scored higher"
        sum(score_rank) filter (where not churned) as retained_rank_sum,
        count(*) filter (where risk_order <= ceil(n_in_group / 10.0)) as top_decile_n,
        count(*) filter (where risk_order <= ceil(n_in_group / 10.0) and churned) as top_decile_churned,
        {%- for band in ['red', 'yellow', 'green'] %}
        count(*) filter (where health_band = '{{ band }}') as n_{{ band }},
        count(*) filter (where health_band = '{{ band }}' and churned) as n_churned_{{ band }},
        {%- endfor %}
        avg(score) as mean_score
    from ranked
    group by evaluated_on, horizon_days, model
)

select
    evaluated_on,
    horizon_days,
    model,
    n_accounts,
    n_churned,
    round(n_churned / n_accounts, 4) as churn_rate,
    case
        when n_churned > 0 and n_retained > 0 then round(
            (retained_rank_sum - n_retained * (n_retained + 1) / 2.0) / (n_churned * n_retained), 4)
    end as auc,
    top_decile_n,
    top_decile_churned,
    case
        when n_churned > 0 then round(
            (top_decile_churned / top_decile_n) / (n_churned / n_accounts), 4)
    end as top_decile_lift,
    {%- for band in ['red', 'yellow', 'green'] %}
    case when model = 'health_score' then n_{{ band }} end as n_{{ band }},
    case when model = 'health_score' then round(n_churned_{{ band }} / nullif(n_{{ band }}, 0), 4) end
        as churn_rate_{{ band }},
    {%- endfor %}
    round(mean_score, 2) as mean_score
from summary
