-- One row per survey invitation (a survey sent to a person) from every survey tool that
-- sends and says so, before identity resolution:
--   generic    the generic survey API (raw_surveys), ids as they are
-- Delighted lists no sends (only each person's last one) and Typeform sends nothing (it
-- collects answers to a link the company sends), so neither has invitations here: their
-- response rates are unknown, not zero.

select
    'generic' as survey_vendor,
    invitation_id,
    survey,
    {{ normalize_email('email') }} as email,
    sent_at
from {{ ref('stg_surveys__invitations') }}
