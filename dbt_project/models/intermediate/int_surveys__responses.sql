-- One row per survey response (every survey tool, int_surveys__responses_unioned) with the
-- respondent's account (int_identity__bridge, by e-mail), the survey it answered and its NPS
-- category: promoter 9-10, passive 7-8, detractor 0-6.

with responses as (
    select * from {{ ref('int_surveys__responses_unioned') }}
),

invitations as (
    select * from {{ ref('int_surveys__invitations_unioned') }}
),

bridge as (
    select source_id, account_id
    from {{ ref('int_identity__bridge') }}
    where source_system = 'surveys'
)

select
    responses.response_id,
    responses.invitation_id,
    responses.survey_vendor,
    responses.survey,
    responses.email,
    bridge.account_id,
    responses.score,
    case
        when responses.score >= 9 then 'promoter'
        when responses.score >= 7 then 'passive'
        when responses.score >= 0 then 'detractor'
    end as nps_category,
    responses.comment,
    invitations.sent_at,
    responses.responded_at,
    cast(responses.responded_at as date) as responded_on
from responses
left join invitations
    on responses.survey_vendor = invitations.survey_vendor
    and responses.invitation_id = invitations.invitation_id
left join bridge
    on bridge.source_id = responses.email
where responses.score between 0 and 10
