{{ config(materialized='table') }}

-- One row per account and day of the scored history (the last score_history_days days up
-- to today): everything known about the account on the day, point in time, in one place.
--   contract, lifecycle and usage   int_health__daily_components
--   support                         int_support__account_daily
--   voice of the customer           int_surveys__account_daily, int_surveys__silent_contacts
--   training                        int_training__account_daily
--   CRM engagement                  int_crm__account_engagement_daily
-- The health score components, marts.health_scores and marts.customer_360 all read these
-- inputs here, so the daily join is written once. The days are those of every CRM
-- account (int_calendar__account_days) and every account with contract or product
-- history; a measure without data for the account-day is NULL.

{%- set history_days = var('score_history_days') %}

with latest_day as (
    select as_of_date as today
    from {{ ref('int_calendar__as_of_date') }}
),

product as (
    select daily.*
    from {{ ref('int_health__daily_components') }} as daily
    cross join latest_day
    where daily.as_of_date >= {{ add_days('latest_day.today', -(history_days - 1)) }}
),

account_days as (
    select account_id, as_of_date from {{ ref('int_calendar__account_days') }}
    union
    select account_id, as_of_date from product
)

select
    account_days.account_id,
    account_days.as_of_date,
    product.first_contract_start,
    product.contract_id,
    product.contract_start_date,
    product.contract_end_date,
    product.mrr,
    product.seats,
    product.plan,
    product.previous_seats,
    product.previous_mrr,
    product.lifecycle_stage,
    product.has_product_data,
    product.active_users_30d,
    product.logins_30d,
    product.logins_prev_30d,
    product.features_used_30d,
    product.features_used_long,
    product.usual_features,
    product.active_users_30d_earlier,
    product.features_available,
    product.last_activity_on,
    product.setup_done_on,
    product.utilization,
    product.logins_per_seat,
    product.logins_trend_ratio,
    product.breadth,
    product.feature_retention,
    product.active_users_trend_ratio,
    support.has_support_data,
    support.open_tickets,
    support.tickets_90d,
    support.sla_breaches_90d,
    support.csat_good_90d,
    support.csat_rated_90d,
    support.sla_breach_rate_90d,
    support.csat_90d,
    voice.has_survey_data,
    voice.promoters,
    voice.passives,
    voice.detractors,
    voice.invitations_sent,
    voice.invitations_answered,
    voice.nps_responses,
    voice.nps,
    voice.response_rate,
    silence.unanswered_in_a_row,
    silence.silent_email,
    silence.answered_before,
    training.has_training_data,
    training.trainings_completed,
    training.people_trained,
    training.onboarding_completed,
    engagement.has_activity_data,
    engagement.last_touch_on,
    engagement.days_since_touch,
    engagement.touches_90d,
    engagement.meetings_90d,
    engagement.executive_touches_90d,
    engagement.executive_engaged_90d,
    engagement.engagement_index
from account_days
left join product
    on account_days.account_id = product.account_id
    and account_days.as_of_date = product.as_of_date
left join {{ ref('int_support__account_daily') }} as support
    on account_days.account_id = support.account_id
    and account_days.as_of_date = support.as_of_date
left join {{ ref('int_surveys__account_daily') }} as voice
    on account_days.account_id = voice.account_id
    and account_days.as_of_date = voice.as_of_date
left join {{ ref('int_surveys__silent_contacts') }} as silence
    on account_days.account_id = silence.account_id
    and account_days.as_of_date = silence.as_of_date
left join {{ ref('int_training__account_daily') }} as training
    on account_days.account_id = training.account_id
    and account_days.as_of_date = training.as_of_date
left join {{ ref('int_crm__account_engagement_daily') }} as engagement
    on account_days.account_id = engagement.account_id
    and account_days.as_of_date = engagement.as_of_date
