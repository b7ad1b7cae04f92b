-- One row per survey invitation with the invitee's account and its first answer, for
-- response rates: an invitation counts as answered from the day of its first response.

with first_answers as (
    select invitation_id, min(responded_at) as first_responded_at
    from {{ ref('int_surveys__responses') }}
    where invitation_id is not null
    group by invitation_id
),

bridge as (
    select source_id, account_id
    from {{ ref('identity_bridge') }}
    where source_system = 'surveys'
)

select
    invitations.invitation_id,
    invitations.survey,
    {{ normalize_email('invitations.email') }} as email,
    bridge.account_id,
    invitations.sent_at,
    cast(invitations.sent_at as date) as sent_on,
    first_answers.first_responded_at,
    cast(first_answers.first_responded_at as date) as first_responded_on
from {{ ref('stg_surveys__invitations') }} as invitations
left join first_answers
    on invitations.invitation_id = first_answers.invitation_id
left join bridge
    on bridge.source_id = {{ normalize_email('invitations.email') }}
where invitations.sent_at is not null
