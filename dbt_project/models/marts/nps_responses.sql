-- One row per survey response with the respondent's account, the survey, the score and
-- its NPS category (promoter 9-10, passive 7-8, detractor 0-6).

select
    responses.*,
    accounts.name as account_name
from {{ ref('int_surveys__responses') }} as responses
left join {{ ref('int_crm__accounts') }} as accounts
    on responses.account_id = accounts.account_id
