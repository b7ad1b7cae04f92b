{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'as_of_date'],
        incremental_strategy=daily_upsert_strategy(),
        partition_by=daily_upsert_partition('as_of_date'),
        on_schema_change='sync_all_columns',
    )
}}

-- One row per (account_id, as_of_date): the daily, point-in-time health score.
-- Components with no data on a day are left out and their weight goes to the evidence
-- components with data, in proportion to their weights; timing components (renewal
-- exposure, var timing_components) keep their own weight. coverage says which share of the
-- stage's weight had data. Days where less than var min_coverage of the weight had data
-- are not scored.
--
-- Incremental: a run scores the days after the latest day already in the table, plus
-- the last var score_reprocess_days days again (late-arriving events of those days are
-- then included). Earlier rows are kept as they were: a row only uses data up to its own
-- day, so a full refresh (dbt build --full-refresh) rebuilds the same rows for the days
-- of the history window. After a change to the scorecard seeds, run a full refresh to
-- re-score the history; each row carries the scorecard_version it was scored with.
--
-- marts.health_scores exposes this history unchanged; the score validation
-- (int_validation__rated_pairs, marts.alert_validation) reads it here.

{%- set components = var('score_components') %}

with component_scores as (
    select * from {{ ref('int_health__component_scores') }}
    {%- if is_incremental() %}
    where as_of_date > {{ rescored_since('as_of_date', var('score_reprocess_days')) }}
    {%- endif %}
),

weighted as (
    select
        *,
        sum(weight) over account_day as total_weight,
        sum(case when score is not null then weight end) over account_day as weight_with_data,
        sum(case when score is not null and weight_role = 'timing' then weight end) over account_day
            as timing_weight_with_data,
        sum(case when score is not null and weight_role = 'evidence' then weight end) over account_day
            as evidence_weight_with_data
    from component_scores
    window account_day as (partition by account_id, as_of_date)
),

-- each component's share of the score (the shares of a day add up to 1): timing keeps
-- weight / total; evidence shares the rest, the weight of components without data
-- included; a day with no weighted evidence rests on the timing alone
shares as (
    select
        *,
        case
            when evidence_weight_with_data > 0 and weight_role = 'timing'
                then cast(weight as {{ type_double() }}) / cast(total_weight as {{ type_double() }})
            when evidence_weight_with_data > 0
                then cast(weight as {{ type_double() }}) / cast(evidence_weight_with_data as {{ type_double() }})
                    * cast(total_weight - coalesce(timing_weight_with_data, 0) as {{ type_double() }})
                    / cast(total_weight as {{ type_double() }})
            else cast(weight as {{ type_double() }}) / cast(weight_with_data as {{ type_double() }})
        end as score_share
    from weighted
    where weight_with_data > 0
),

contributions as (
    select
        *,
        score_share * score as contribution,
        -- points the component keeps the score below 100: the size of a negative driver
        score_share * (100 - score) as points_lost
    from shares
    where weight_with_data / total_weight >= {{ var('min_coverage') }}
),

ranked_reasons as (
    select
        *,
        row_number() over (
            partition by account_id, as_of_date
            order by points_lost desc nulls last, component
        ) as reason_rank
    from contributions
),

-- the figures shown per component, rounded once per row (not once per pivoted column)
shown as (
    select
        *,
        {{ round_float('score', 1) }} as score_shown,
        {{ round_float('contribution', 2) }} as contribution_shown
    from contributions
),

account_days as (
    select
        account_id,
        as_of_date,
        {{ dbt.any_value("lifecycle_stage") }} as lifecycle_stage,
        {{ dbt.any_value("scorecard_version") }} as scorecard_version,
        -- summed as decimals so the result (and its rounding) does not depend on the
        -- order DuckDB adds the rows in
        cast(round(sum(cast(contribution as decimal(18, 6))), 1) as {{ type_double() }}) as health_score,
        cast(round({{ dbt.any_value("weight_with_data / total_weight") }}, 4) as {{ type_double() }}) as coverage,
        {%- for component in components %}
        max(score_shown) filter (where component = '{{ component }}') as {{ component }}_score,
        max(contribution_shown) filter (where component = '{{ component }}') as {{ component }}_contribution
        {{- "," if not loop.last }}
        {%- endfor %}
    from shown
    group by account_id, as_of_date
),

-- the few reasons shown, joined in order: only the shown rows of each day (a fifth of the
-- component rows) reach the ordered aggregate, not every component row
top_reasons as (
    select
        account_id,
        as_of_date,
        {{ dbt.listagg('reason', "'; '", 'order by reason_rank') }} as top_reasons
    from ranked_reasons
    where reason_rank <= {{ var('top_reasons_count') }} and points_lost >= 0.5
    group by account_id, as_of_date
),

bands as (
    select
        lifecycle_stage, band, min_score,
        -- the next band's threshold: a band covers [min_score, next_min_score)
        lead(min_score) over (partition by lifecycle_stage order by min_score) as next_min_score
    from {{ ref('health_band_thresholds') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
),

inputs as (
    select * from {{ ref('int_account__daily_inputs') }}
)

select
    account_days.account_id,
    account_days.as_of_date,
    account_days.health_score,
    bands.band as health_band,
    account_days.lifecycle_stage,
    account_days.scorecard_version,
    account_days.coverage,
    coalesce(top_reasons.top_reasons, 'no negative drivers') as top_reasons,
    {%- for component in components %}
    account_days.{{ component }}_score,
    account_days.{{ component }}_contribution,
    {%- endfor %}
    -- the inputs, as they were on the day
    inputs.contract_id,
    inputs.contract_end_date,
    {{ dbt.datediff('account_days.as_of_date', 'inputs.contract_end_date', 'day') }} as days_to_renewal,
    inputs.mrr,
    inputs.seats,
    inputs.active_users_30d,
    inputs.logins_30d,
    inputs.logins_prev_30d,
    inputs.features_used_30d,
    inputs.features_available,
    inputs.last_activity_on,
    inputs.open_tickets,
    inputs.tickets_90d,
    inputs.sla_breaches_90d,
    inputs.csat_90d,
    inputs.nps as nps_180d,
    inputs.nps_responses as nps_responses_180d,
    inputs.people_trained,
    inputs.onboarding_completed,
    inputs.last_touch_on as last_csm_touch_on,
    inputs.days_since_touch as days_since_csm_touch,
    inputs.touches_90d as csm_touches_90d,
    inputs.meetings_90d,
    inputs.executive_engaged_90d
from account_days
-- the band is the one with the highest min_score the score reaches, for the day's stage
inner join bands
    on account_days.lifecycle_stage = bands.lifecycle_stage
    and account_days.health_score >= bands.min_score
    and (bands.next_min_score is null or account_days.health_score < bands.next_min_score)
left join top_reasons
    on account_days.account_id = top_reasons.account_id
    and account_days.as_of_date = top_reasons.as_of_date
-- the inputs exist for every scored day: the components were computed from them
inner join inputs
    on account_days.account_id = inputs.account_id
    and account_days.as_of_date = inputs.as_of_date
