-- Every e-mail address a survey tool knows (invitees, respondents, the people Delighted
-- surveys), once: the survey side of identity resolution.

select distinct email
from (
    select email from {{ ref('int_surveys__invitations_unioned') }}
    union all
    select email from {{ ref('int_surveys__responses_unioned') }}
    union all
    select {{ normalize_email('email') }} from {{ ref('stg_delighted__people') }}
) as known
where email is not null
