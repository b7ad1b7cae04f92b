-- One row per (account, scored day, component): raw value, the 0-100 score and a
-- plain-words reason, before any weighting:
--   score = 100 x clamp((value - floor) / (target - floor), 0, 1)
-- with floor and target from the health_score_components seed of the scorecard version in
-- force (var scorecard_version; a target below the floor means lower is better, e.g.
-- tickets per seat). A NULL value (no data that day) gives a NULL score: the component is
-- left out and the others re-weighted. Scored days: a contract covers the day and it is
-- within the last score_history_days.
-- The weights come afterwards (int_health__component_scores), so the walk-forward
-- scorecard fit (learning/scorecard.py) can learn from these scores without a cycle.

{%- set window_days = var('usage_window_days') %}
{%- set support_days = var('support_window_days') %}
{%- set nps_days = var('nps_window_days') %}
{%- set history_days = var('score_history_days') %}
{%- set feature_days = var('feature_history_days') %}
{%- set users_lag_days = var('active_users_lag_days') %}

with latest_day as (
    select as_of_date as today
    from {{ ref('int_calendar__as_of_date') }}
),

product as (
    select inputs.*
    from {{ ref('int_account__daily_inputs') }} as inputs
    cross join latest_day
    where inputs.lifecycle_stage is not null
        and inputs.as_of_date >= {{ add_days('latest_day.today', -(history_days - 1)) }}
),

-- a renewal is signed once a later term of the account is signed in the CRM (on or before
-- D): the end of the latest such term replaces the covering contract's end
signed_renewals as (
    select
        product.account_id,
        product.as_of_date,
        max(renewals.end_date) as signed_through
    from product
    inner join {{ ref('int_crm__contracts') }} as renewals
        on product.account_id = renewals.account_id
        and renewals.start_date >= product.contract_end_date
        and cast(renewals.signed_at as date) <= product.as_of_date
    group by product.account_id, product.as_of_date
),

scored_days as (
    select
        product.*,
        signed.signed_through,
        {{ dbt.datediff('product.as_of_date', 'coalesce(signed.signed_through, product.contract_end_date)', 'day') }}
            as days_to_exposure,
        {{ ratio('product.seats', 'product.previous_seats') }} as seat_change_ratio,
        {{ safe_divide(safe_divide('product.mrr', 'product.seats'), safe_divide('product.previous_mrr', 'product.previous_seats')) }}
            as seat_price_ratio
    from product
    left join signed_renewals as signed
        on product.account_id = signed.account_id
        and product.as_of_date = signed.as_of_date
),

components as (
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'utilization' as component,
        utilization as component_value,
        {{ format_text("%d of %d seats active in " ~ window_days ~ " days", "active_users_30d", "seats") }} as reason
    from scored_days

    union all

    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'usage',
        logins_per_seat,
        {{ format_text("%.1f logins per seat in " ~ window_days ~ " days", "logins_per_seat") }}
    from scored_days

    union all

    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'usage_trend',
        logins_trend_ratio,
        case
            when logins_trend_ratio < 1
                then {{ format_text("logins fell %d%% vs previous " ~ window_days ~ " days", "cast(round(100 * (1 - logins_trend_ratio), 0) as integer)") }}
            else {{ format_text("logins up %d%% vs previous " ~ window_days ~ " days", "cast(round(100 * (logins_trend_ratio - 1), 0) as integer)") }}
        end
    from scored_days

    union all

    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'breadth',
        breadth,
        {{ format_text("%d of %d features used in " ~ window_days ~ " days", "features_used_30d", "features_available") }}
    from scored_days

    union all

    -- support load: tickets per seat; without a help desk (or before its first ticket) no data
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'support',
        case when has_support_data then {{ ratio('tickets_90d', 'seats') }} end,
        {{ format_text("%d support tickets in " ~ support_days ~ " days (%.1f per seat)", "tickets_90d", ratio('tickets_90d', 'seats')) }}
    from scored_days

    union all

    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'csat',
        csat_90d,
        {{ format_text("CSAT %d%% (%d of %d ratings good) in " ~ support_days ~ " days", "cast(round(100 * csat_90d, 0) as integer)", "csat_good_90d", "csat_rated_90d") }}
    from scored_days

    union all

    -- sentiment: NPS of the responses in the window; no data without responses
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'sentiment',
        nps,
        {{ format_text("NPS %d from %d survey responses in " ~ nps_days ~ " days", "cast(round(nps) as integer)", "nps_responses") }}
    from scored_days

    union all

    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'training',
        case when has_training_data then {{ ratio('people_trained', 'seats') }} end,
        {{ format_text("%d of %d seats trained", "people_trained", "seats") }}
    from scored_days

    union all

    -- the contract relationship: did the last renewal add or cut seats? no data in a
    -- first term
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'relationship',
        seat_change_ratio,
        case
            when seats < previous_seats
                then {{ format_text("seats cut from %d to %d at the last renewal", "previous_seats", "seats") }}
            when seats = previous_seats
                then {{ format_text("seats flat at %d at the last renewal", "seats") }}
            else {{ format_text("seats grew from %d to %d at the last renewal", "previous_seats", "seats") }}
        end
    from scored_days

    union all

    -- sponsor silence: invitations keep coming but answers stop; no data without
    -- invitations in the window
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'survey_response',
        response_rate,
        {{ format_text("%d of %d survey invitations answered in " ~ nps_days ~ " days", "invitations_answered", "invitations_sent") }}
    from scored_days

    union all

    -- feature-area fading: of the features used in the {{ feature_days - window_days }} days before the
    -- last {{ window_days }}, the share still used; independent of how often people log in
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'feature_retention',
        feature_retention,
        {{ format_text("%d of %d usual features still used in " ~ window_days ~ " days", "usual_features + features_used_30d - features_used_long", "usual_features") }}
    from scored_days

    union all

    -- active-user contraction: people active in 30 days now vs {{ users_lag_days }} days before
    -- (logins can stay flat while fewer people log in)
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'user_trend',
        active_users_trend_ratio,
        {{ format_text("%d people active in " ~ window_days ~ " days, %d " ~ users_lag_days ~ " days before", "active_users_30d", "active_users_30d_earlier") }}
    from scored_days

    union all

    -- commercial pressure: the price per seat of this term vs the term before (lower is
    -- better); no data in a first term
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'seat_price',
        seat_price_ratio,
        case
            when seat_price_ratio > 1
                then {{ format_text("price per seat up %d%% at the last renewal", "cast(round(100 * (seat_price_ratio - 1), 0) as integer)") }}
            else {{ format_text("price per seat down %d%% at the last renewal", "cast(round(100 * (1 - seat_price_ratio), 0) as integer)") }}
        end
    from scored_days

    union all

    -- a contact who stops answering: the most survey invitations in a row one invited
    -- person left unanswered (lower is better); 0 when every invited person answered their
    -- latest one, no data without invitations in the window
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'silent_contact',
        case when invitations_sent > 0 then coalesce(unanswered_in_a_row, 0) end,
        case
            when coalesce(unanswered_in_a_row, 0) = 0
                then 'every surveyed contact answered their latest invitation'
            when answered_before
                then {{ format_text("%s left the last %d survey invitations unanswered (answered before)", "silent_email", "unanswered_in_a_row") }}
            else {{ format_text("%s left the last %d survey invitations unanswered", "silent_email", "unanswered_in_a_row") }}
        end
    from scored_days

    union all

    -- the relationship as the CRM shows it: the last CSM touch, meetings, an executive in
    -- the conversation (int_crm__account_engagement_daily); no data without CRM activities
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'engagement',
        engagement_index,
        case when days_since_touch is null then 'no CSM touch logged' else
            {{ format_text('last CSM touch %d days ago', 'days_since_touch') }} end
        || {{ format_text(', %d meetings in 90 days', 'meetings_90d') }}
        || case when executive_engaged_90d then ', an executive engaged' else ', no executive engaged' end
    from scored_days

    union all

    -- renewal exposure: days until the account must decide again, i.e. until the covering
    -- term ends with no renewal signed (or until the signed renewal ends); the nearer an
    -- unsigned renewal, the more is at stake. No data for an open-ended term.
    select
        account_id, as_of_date, lifecycle_stage, contract_id,
        'renewal_exposure',
        days_to_exposure,
        case
            when signed_through is not null
                then {{ format_text("renewal signed, covered for %d more days", "days_to_exposure") }}
            else {{ format_text("renews in %d days, no renewal signed", "days_to_exposure") }}
        end
    from scored_days
),

targets as (
    select scorecard_version, component, floor, target
    from {{ ref('health_score_components') }}
    where scorecard_version = '{{ var("scorecard_version") }}'
)

select
    components.account_id,
    components.as_of_date,
    components.lifecycle_stage,
    components.contract_id,
    -- the seed scorecard whose floors and targets made the score (var scorecard_version)
    targets.scorecard_version as seed_scorecard_version,
    components.component,
    -- timing (var timing_components) keeps its weight when others have no data; evidence shares it
    case when components.component in ({{ "'" ~ var('timing_components') | join("', '") ~ "'" }})
        then 'timing' else 'evidence' end as weight_role,
    components.component_value,
    targets.floor,
    targets.target,
    -- reaching the target scores 100, the floor 0; no data (NULL value) gives no score.
    -- The explicit case matters: DuckDB's least / greatest skip NULLs.
    case
        when components.component_value is not null
            then 100 * greatest(0, least(1,
                {{ safe_divide('components.component_value - targets.floor', 'targets.target - targets.floor') }}))
    end as score,
    case when components.component_value is not null then components.reason end as reason
from components
inner join targets
    on components.component = targets.component
