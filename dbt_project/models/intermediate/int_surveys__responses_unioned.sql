-- One row per NPS answer from every connected survey tool, before identity resolution:
--   generic    the generic survey API (raw_surveys): ids as they are; survey and, when the
--              response has none, e-mail from the invitation answered
--   delighted  Delighted responses of NPS surveys (survey_type nps; a CSAT or CES project
--              answers on another scale); survey = 'nps'
--   typeform   Typeform responses to the NPS forms; survey = the form id
-- A vendor's ids are prefixed with its name ('delighted:123'), so two tools connected at
-- once never collide.

with generic as (
    select
        'generic' as survey_vendor,
        responses.response_id,
        responses.invitation_id,
        invitations.survey,
        coalesce({{ normalize_email('responses.email') }}, {{ normalize_email('invitations.email') }}) as email,
        responses.score,
        responses.comment,
        responses.responded_at
    from {{ ref('stg_surveys__responses') }} as responses
    left join {{ ref('stg_surveys__invitations') }} as invitations
        on responses.invitation_id = invitations.invitation_id
),

delighted as (
    select
        'delighted' as survey_vendor,
        {{ dbt.concat(["'delighted:'", 'response_id']) }} as response_id,
        cast(null as {{ dbt.type_string() }}) as invitation_id,
        coalesce(survey_type, 'nps') as survey,
        {{ normalize_email('email') }} as email,
        score,
        comment,
        responded_at
    from {{ ref('stg_delighted__survey_responses') }}
    where coalesce(survey_type, 'nps') = 'nps'
),

typeform as (
    select
        'typeform' as survey_vendor,
        {{ dbt.concat(["'typeform:'", 'response_id']) }} as response_id,
        cast(null as {{ dbt.type_string() }}) as invitation_id,
        form_id as survey,
        {{ normalize_email('email') }} as email,
        score,
        comment,
        responded_at
    from {{ ref('stg_typeform__responses') }}
)

select * from generic
union all
select * from delighted
union all
select * from typeform
