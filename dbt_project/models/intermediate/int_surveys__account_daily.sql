{{ config(materialized='table') }}

-- Voice-of-the-customer measures per account and day of the scored history,
-- point-in-time (macro running_counts), over the last 180 days (var nps_window_days):
--   promoters / passives / detractors   responses given in the window, by score
--   invitations_sent                    invitations sent in the window
--   invitations_answered                of those, the ones answered by D
--   nps = 100 x (promoters - detractors) / responses; NULL without responses
--   response_rate = invitations_answered / invitations_sent
-- has_survey_data: a survey tool is connected and had sent or received something on or
-- before D.

{%- set window_days = var('nps_window_days') %}

with responses as (
    select * from {{ ref('int_surveys__responses') }}
    where account_id is not null and responded_on is not null
),

invitations as (
    select
        *,
        -- an answer counts for the invitation from the day it came, within the window
        -- (an explicit case: DuckDB's greatest skips NULLs)
        case when first_responded_on is not null then greatest(first_responded_on, sent_on) end as answered_on
    from {{ ref('int_surveys__invitations') }}
    where account_id is not null
),

changes as (
    {%- for category in ['promoter', 'passive', 'detractor'] %}
    select account_id, responded_on as changes_on, '{{ category }}s' as measure, 1 as change
    from responses where nps_category = '{{ category }}'
    union all
    select account_id, {{ add_days('responded_on', window_days) }}, '{{ category }}s', -1
    from responses where nps_category = '{{ category }}'
    union all
    {%- endfor %}
    select account_id, sent_on, 'invitations_sent', 1 from invitations
    union all
    select account_id, {{ add_days('sent_on', window_days) }}, 'invitations_sent', -1 from invitations
    union all
    select account_id, answered_on, 'invitations_answered', 1 from invitations
    where answered_on < {{ add_days('sent_on', window_days) }}
    union all
    select account_id, {{ add_days('sent_on', window_days) }}, 'invitations_answered', -1 from invitations
    where answered_on < {{ add_days('sent_on', window_days) }}
),

counts as (
    {{ running_counts(ref('int_calendar__account_days'),
                      'changes',
                      ['promoters', 'passives', 'detractors', 'invitations_sent', 'invitations_answered']) }}
),

first_survey as (
    select least(
        (select min(cast(sent_at as date)) from {{ ref('int_surveys__invitations_unioned') }}),
        (select min(cast(responded_at as date)) from {{ ref('int_surveys__responses_unioned') }})
    ) as first_survey_on
)

select
    counts.account_id,
    counts.as_of_date,
    coalesce(counts.as_of_date >= first_survey.first_survey_on, false) as has_survey_data,
    {%- for measure in ['promoters', 'passives', 'detractors', 'invitations_sent', 'invitations_answered'] %}
    case when counts.as_of_date >= first_survey.first_survey_on then counts.{{ measure }} end as {{ measure }},
    {%- endfor %}
    case when counts.as_of_date >= first_survey.first_survey_on
        then counts.promoters + counts.passives + counts.detractors end as nps_responses,
    round(
        {{ safe_divide('100.0 * (counts.promoters - counts.detractors)', 'counts.promoters + counts.passives + counts.detractors') }},
        1
    ) as nps,
    {{ ratio('counts.invitations_answered', 'counts.invitations_sent') }} as response_rate
from counts
cross join first_survey
