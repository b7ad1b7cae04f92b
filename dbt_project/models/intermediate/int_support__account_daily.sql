{{ config(materialized='table') }}

-- Support measures per account and day of the scored history, point-in-time (the row for
-- D counts only what had happened by the end of D; macro running_counts):
--   open_tickets          created on or before D and not solved by D
--   tickets_90d           created in the last 90 days (var support_window_days)
--   sla_breaches_90d      of those, the ones whose SLA was breached by D
--   csat_good_90d         good CSAT ratings given in the last 90 days
--   csat_rated_90d        all CSAT ratings given in the last 90 days
-- has_support_data: a help desk is connected and had its first ticket on or before D;
-- before that (or without a help desk) the support measures are NULL, not zero.

{%- set window_days = var('support_window_days') %}

with tickets as (
    select * from {{ ref('int_support__tickets') }}
    where account_id is not null
),

changes as (
    select account_id, created_on as changes_on, 'tickets_90d' as measure, 1 as change from tickets
    union all
    select account_id, {{ add_days('created_on', window_days) }}, 'tickets_90d', -1 from tickets

    union all
    select account_id, created_on, 'open_tickets', 1 from tickets
    union all
    select account_id, greatest(solved_on, created_on), 'open_tickets', -1 from tickets
    where solved_on is not null

    union all
    select account_id, greatest(cast(breached_at as date), created_on), 'sla_breaches_90d', 1 from tickets
    where sla_breached and cast(breached_at as date) < {{ add_days('created_on', window_days) }}
    union all
    select account_id, {{ add_days('created_on', window_days) }}, 'sla_breaches_90d', -1 from tickets
    where sla_breached and cast(breached_at as date) < {{ add_days('created_on', window_days) }}

    union all
    select account_id, rated_on, 'csat_good_90d', 1 from tickets where csat = 'good'
    union all
    select account_id, {{ add_days('rated_on', window_days) }}, 'csat_good_90d', -1 from tickets where csat = 'good'
    union all
    select account_id, rated_on, 'csat_rated_90d', 1 from tickets where csat is not null
    union all
    select account_id, {{ add_days('rated_on', window_days) }}, 'csat_rated_90d', -1 from tickets where csat is not null
),

counts as (
    {{ running_counts(ref('int_calendar__account_days'),
                      'changes',
                      ['open_tickets', 'tickets_90d', 'sla_breaches_90d', 'csat_good_90d', 'csat_rated_90d']) }}
),

first_ticket as (
    select min(cast(created_at as date)) as first_ticket_on
    from {{ ref('int_support__tickets') }}
)

select
    counts.account_id,
    counts.as_of_date,
    coalesce(counts.as_of_date >= first_ticket.first_ticket_on, false) as has_support_data,
    {%- for measure in ['open_tickets', 'tickets_90d', 'sla_breaches_90d', 'csat_good_90d', 'csat_rated_90d'] %}
    case when counts.as_of_date >= first_ticket.first_ticket_on then counts.{{ measure }} end as {{ measure }},
    {%- endfor %}
    {{ ratio('counts.sla_breaches_90d', 'counts.tickets_90d') }} as sla_breach_rate_90d,
    {{ ratio('counts.csat_good_90d', 'counts.csat_rated_90d') }} as csat_90d
from counts
cross join first_ticket
