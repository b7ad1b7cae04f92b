-- One row per survey invitation (int_surveys__invitations_unioned) with the invitee's
-- account and its first answer, for response rates: an invitation counts as answered from
-- the day of its first response.

with first_answers as (
    select survey_vendor, invitation_id, min(responded_at) as first_responded_at
    from {{ ref('int_surveys__responses') }}
    where invitation_id is not null
    group by survey_vendor, invitation_id
),

bridge as (
    select source_id, account_id
    from {{ ref('int_identity__bridge') }}
    where source_system = 'surveys'
)

select
    invitations.invitation_id,
    invitations.survey_vendor,
    invitations.survey,
    invitations.email,
    bridge.account_id,
    invitations.sent_at,
    cast(invitations.sent_at as date) as sent_on,
    first_answers.first_responded_at,
    cast(first_answers.first_responded_at as date) as first_responded_on
from {{ ref('int_surveys__invitations_unioned') }} as invitations
left join first_answers
    on invitations.survey_vendor = first_answers.survey_vendor
    and invitations.invitation_id = first_answers.invitation_id
left join bridge
    on bridge.source_id = invitations.email
where invitations.sent_at is not null
