-- One row per survey response with the respondent's account (identity_bridge, by e-mail:
-- the response's address, else the invitation's), the survey it answered and its NPS
-- category: promoter 9-10, passive 7-8, detractor 0-6.

with responses as (
    select * from {{ ref('stg_surveys__responses') }}
),

invitations as (
    select * from {{ ref('stg_surveys__invitations') }}
),

bridge as (
    select source_id, account_id
    from {{ ref('identity_bridge') }}
    where source_system = 'surveys'
)

select
    responses.response_id,
    responses.invitation_id,
    invitations.survey,
    coalesce({{ normalize_email('responses.email') }}, {{ normalize_email('invitations.email') }}) as email,
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
    on responses.invitation_id = invitations.invitation_id
left join bridge
    on bridge.source_id = coalesce({{ normalize_email('responses.email') }}, {{ normalize_email('invitations.email') }})
where responses.score between 0 and 10
