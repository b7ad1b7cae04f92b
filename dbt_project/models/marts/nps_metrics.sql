-- NPS analysts can trust, one row per (month, survey):
--   invitations_sent      invitations sent that month
--   invitations_answered  of those, the ones answered (at any time so far)
--   response_rate         invitations_answered / invitations_sent
--   responses, promoters, passives, detractors   responses given that month
--   nps                   100 x (promoters - detractors) / responses
-- Account-level NPS over the last 180 days is in customer_360 (nps, nps_responses_180d,
-- nps_response_rate_180d).

with sent as (
    select
        cast(date_trunc('month', sent_at) as date) as month,
        survey,
        count(*) as invitations_sent,
        count(first_responded_at) as invitations_answered
    from {{ ref('int_surveys__invitations') }}
    group by 1, 2
),

answered as (
    select
        cast(date_trunc('month', responded_at) as date) as month,
        survey,
        count(*) as responses,
        count(*) filter (where nps_category = 'promoter') as promoters,
        count(*) filter (where nps_category = 'passive') as passives,
        count(*) filter (where nps_category = 'detractor') as detractors
    from {{ ref('int_surveys__responses') }}
    where responded_at is not null
    group by 1, 2
)

select
    coalesce(sent.month, answered.month) as month,
    coalesce(sent.survey, answered.survey) as survey,
    coalesce(sent.invitations_sent, 0) as invitations_sent,
    coalesce(sent.invitations_answered, 0) as invitations_answered,
    round({{ ratio('sent.invitations_answered', 'sent.invitations_sent') }}, 4) as response_rate,
    coalesce(answered.responses, 0) as responses,
    coalesce(answered.promoters, 0) as promoters,
    coalesce(answered.passives, 0) as passives,
    coalesce(answered.detractors, 0) as detractors,
    round({{ safe_divide('100.0 * (answered.promoters - answered.detractors)', 'answered.responses') }}, 1) as nps
from sent
full outer join answered
    on sent.month = answered.month
    and sent.survey is not distinct from answered.survey
