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

{#- Computed on one row per account and day: every component's score, share and
    contribution side by side (no unpivot, no window, no pivot back), so a full build of
    the history streams through once. The component values and reasons are those of
    int_health__component_values (macro health_components), the weights those of
    int_health__component_scores. -#}
{%- set components = var('score_components') %}
{%- set timing = var('timing_components') %}
{%- set health = health_components() %}
{%- set double = type_double() %}

with scored_days as (
    select * from {{ ref('int_health__scored_days') }}
    {%- if is_incremental() %}
    where as_of_date > {{ rescored_since('as_of_date', var('score_reprocess_days')) }}
    {%- endif %}
),

-- the seed scorecard's floor and target of each component, as one row
targets as (
    select
        {%- for component in components %}
        max(floor) filter (where component = '{{ component }}') as {{ component }}_floor,
        max(target) filter (where component = '{{ component }}') as {{ component }}_target
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ ref('health_score_components') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
),

-- each scorecard's weights of a lifecycle stage, as one row
weights as (
    select
        scorecard_version,
        lifecycle_stage,
        {%- for component in components %}
        max(weight) filter (where component = '{{ component }}') as {{ component }}_weight
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_health__scorecard_weights') }}
    group by scorecard_version, lifecycle_stage
),

-- reaching the target scores 100, the floor 0; no data (NULL value) gives no score.
-- The explicit case matters: DuckDB's least / greatest skip NULLs.
component_scores as (
    select
        scored_days.*,
        day_scorecards.scorecard_version,
        {%- for component in components %}
        weights.{{ component }}_weight,
        case when ({{ health[component].value }}) is not null and targets.{{ component }}_target is not null
            then 100 * greatest(0, least(1, {{ safe_divide(
                '(' ~ health[component].value ~ ') - targets.' ~ component ~ '_floor',
                'targets.' ~ component ~ '_target - targets.' ~ component ~ '_floor') }}))
        end as {{ component }}_score
        {{- "," if not loop.last }}
        {%- endfor %}
    from scored_days
    inner join {{ ref('int_health__day_scorecards') }} as day_scorecards
        on scored_days.as_of_date = day_scorecards.as_of_date
    inner join weights
        on day_scorecards.scorecard_version = weights.scorecard_version
        and scored_days.lifecycle_stage = weights.lifecycle_stage
    cross join targets
),

-- the day's weights: in all, with data, and with data among the timing and the evidence
-- components (exact decimals, so no sum depends on the order of addition)

weighted as (
    select
        *,
        {{ weight_sum(components, timing, with_data=false) }} as total_weight,
        {{ weight_sum(components, timing) }} as weight_with_data,
        {{ weight_sum(components, timing, role='timing') }} as timing_weight_with_data,
        {{ weight_sum(components, timing, role='evidence') }} as evidence_weight_with_data
    from component_scores
),

-- each component's share of the score (the shares of a day add up to 1): timing keeps
-- weight / total; evidence shares the rest, the weight of components without data
-- included; a day with no weighted evidence rests on the timing alone
shares as (
    select
        *,
        {%- for component in components %}
        {%- set weight = 'cast(' ~ component ~ '_weight as ' ~ double ~ ')' %}
        case
            {%- if component in timing %}
            when evidence_weight_with_data > 0
                then {{ weight }} / cast(total_weight as {{ double }})
            {%- else %}
            when evidence_weight_with_data > 0
                then {{ weight }} / cast(evidence_weight_with_data as {{ double }})
                    * cast(total_weight - timing_weight_with_data as {{ double }})
                    / cast(total_weight as {{ double }})
            {%- endif %}
            else {{ weight }} / cast(weight_with_data as {{ double }})
        end as {{ component }}_share
        {{- "," if not loop.last }}
        {%- endfor %}
    from weighted
    where weight_with_data > 0
        and weight_with_data / total_weight >= {{ var('min_coverage') }}
),

contributions as (
    select
        *,
        {%- for component in components %}
        {{ component }}_share * {{ component }}_score as {{ component }}_contribution_exact,
        -- points the component keeps the score below 100: the size of a negative driver
        {{ component }}_share * (100 - {{ component }}_score) as {{ component }}_points_lost
        {{- "," if not loop.last }}
        {%- endfor %}
    from shares
),

-- each component's rank among the day's negative drivers (most points lost first, ties
-- by name; no data last), compared on the row itself
ranked as (
    select
        *,
        {%- for component in components %}
        1
        {%- for other in components if other != component %}
            + case when {{ other }}_points_lost {{ '>=' if other < component else '>' }} {{ component }}_points_lost then 1 else 0 end
        {%- endfor %} as {{ component }}_reason_rank
        {{- "," if not loop.last }}
        {%- endfor %}
    from contributions
),

account_days as (
    select
        *,
        -- summed as decimals so the result (and its rounding) does not depend on the
        -- order of addition
        cast(round(
            {%- for component in components %}
            coalesce(cast({{ component }}_contribution_exact as decimal(18, 6)), 0){{ " +" if not loop.last }}
            {%- endfor %}, 1) as {{ double }}) as health_score,
        cast(round(weight_with_data / total_weight, 4) as {{ double }}) as coverage,
        -- the reasons of the top var top_reasons_count drivers that cost at least half a point
        {{ join_texts(top_reason_texts(components, health), '; ') }} as top_reasons
    from ranked
),

bands as (
    select
        lifecycle_stage, band, min_score,
        -- the next band's threshold: a band covers [min_score, next_min_score)
        lead(min_score) over (partition by lifecycle_stage order by min_score) as next_min_score
    from {{ ref('health_band_thresholds') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
)

select
    account_days.account_id,
    account_days.as_of_date,
    account_days.health_score,
    bands.band as health_band,
    account_days.lifecycle_stage,
    account_days.scorecard_version,
    account_days.coverage,
    coalesce(account_days.top_reasons, 'no negative drivers') as top_reasons,
    {%- for component in components %}
    {{ round_float('account_days.' ~ component ~ '_score', 1) }} as {{ component }}_score,
    {{ round_float('account_days.' ~ component ~ '_contribution_exact', 2) }} as {{ component }}_contribution,
    {%- endfor %}
    -- the inputs, as they were on the day
    account_days.contract_id,
    account_days.contract_end_date,
    {{ dbt.datediff('account_days.as_of_date', 'account_days.contract_end_date', 'day') }} as days_to_renewal,
    account_days.mrr,
    account_days.seats,
    account_days.active_users_30d,
    account_days.logins_30d,
    account_days.logins_prev_30d,
    account_days.features_used_30d,
    account_days.features_available,
    account_days.last_activity_on,
    account_days.open_tickets,
    account_days.tickets_90d,
    account_days.sla_breaches_90d,
    account_days.csat_90d,
    account_days.nps as nps_180d,
    account_days.nps_responses as nps_responses_180d,
    account_days.people_trained,
    account_days.onboarding_completed,
    account_days.last_touch_on as last_csm_touch_on,
    account_days.days_since_touch as days_since_csm_touch,
    account_days.touches_90d as csm_touches_90d,
    account_days.meetings_90d,
    account_days.executive_engaged_90d
from account_days
-- the band is the one with the highest min_score the score reaches, for the day's stage
inner join bands
    on account_days.lifecycle_stage = bands.lifecycle_stage
    and account_days.health_score >= bands.min_score
    and (bands.next_min_score is null or account_days.health_score < bands.next_min_score)
