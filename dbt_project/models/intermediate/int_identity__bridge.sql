{{ config(materialized='table') }}

-- One row per (source_system, source_id) of a record and the account it belongs to, with
-- the rule that matched and its confidence:
--   salesforce    Salesforce Accounts (Account Id)                    int_identity__crm_records
--   hubspot       HubSpot companies (company id)                      int_identity__crm_records
--   product       product tenants (source_id = tenant id)            int_identity__tenant_accounts
--   product_user  product users (user id): their e-mail's match, else their tenant's account
--   zendesk       Zendesk requesters (user id)                        by e-mail
--   freshdesk     Freshdesk requesters (contact id)                   by e-mail
--   surveys       survey invitees and respondents, any tool (e-mail)  by e-mail
--   training      LMS attendees (e-mail)                              by e-mail
-- Unmatched records keep a NULL account_id; conflicts are flagged. Both are listed with
-- a reason in marts.identity_review. A CRM record always has an account (at least its
-- own); a cross-CRM match left undecided is a conflict with its conflict_reason.
-- The intermediate models that attach an account to a ticket, a survey or an enrollment
-- read this model; marts.identity_bridge exposes it unchanged.

with tenants as (
    select * from {{ ref('int_identity__tenant_accounts') }}
),

emails as (
    select * from {{ ref('int_identity__email_accounts') }}
),

product_rule as (
    select confidence from {{ ref('identity_match_rules') }} where match_rule = 'product_tenant'
),

users as (
    select
        users.user_id,
        users.tenant_id,
        {{ normalize_email('users.email') }} as email
    from {{ ref('stg_product__users') }} as users
),

zendesk_requesters as (
    select distinct
        tickets.requester_id,
        zendesk_users.user_name,
        {{ normalize_email('zendesk_users.email') }} as email
    from {{ ref('stg_zendesk__tickets') }} as tickets
    left join {{ ref('stg_zendesk__users') }} as zendesk_users
        on tickets.requester_id = zendesk_users.zendesk_user_id
    where tickets.requester_id is not null
),

freshdesk_requesters as (
    {%- set requester_key = "coalesce(requester_id, " ~ normalize_email('requester_email') ~ ")" %}
    select {{ distinct_on(requester_key) }}
        coalesce(requester_id, {{ normalize_email('requester_email') }}) as requester_key,
        {{ normalize_email('requester_email') }} as email
    from {{ ref('stg_freshdesk__tickets') }}
    where coalesce(requester_id, {{ normalize_email('requester_email') }}) is not null
    {{ qualify_first(requester_key, '(requester_email is null), updated_at desc nulls last, freshdesk_ticket_id desc') }}
),

survey_people as (
    select email from {{ ref('int_surveys__people') }}
),

training_people as (
    select distinct {{ normalize_email('email') }} as email from {{ ref('int_training__lms_enrollments') }}
),

people as (
    select 'zendesk' as source_system, requester_id as source_id, user_name as source_name, email
    from zendesk_requesters
    union all
    select 'freshdesk', requester_key, cast(null as {{ dbt.type_string() }}), email
    from freshdesk_requesters
    union all
    select 'surveys', email, cast(null as {{ dbt.type_string() }}), email
    from survey_people
    where email is not null
    union all
    select 'training', email, cast(null as {{ dbt.type_string() }}), email
    from training_people
    where email is not null
),

bridge as (
    select
        source_system,
        record_id as source_id,
        account_id,
        match_rule,
        confidence,
        is_conflict,
        candidate_accounts,
        record_name as source_name,
        cast(null as {{ dbt.type_string() }}) as source_email,
        conflict_reason
    from {{ ref('int_identity__crm_records') }}
    where not is_deleted

    union all

    select
        'product',
        tenant_id as source_id,
        account_id,
        match_rule,
        confidence,
        is_conflict,
        candidate_accounts,
        tenant_name,
        signup_email,
        cast(null as {{ dbt.type_string() }})
    from tenants

    union all

    -- a product user: the match of their own e-mail; without one (no address, or an
    -- address that matches nothing), the account of their tenant
    select
        'product_user',
        users.user_id,
        case when emails.match_rule <> 'unmatched' then emails.account_id else tenants.account_id end,
        case
            when emails.match_rule <> 'unmatched' then emails.match_rule
            when tenants.account_id is not null then 'product_tenant'
            else 'unmatched'
        end,
        case
            when emails.match_rule <> 'unmatched' then emails.confidence
            when tenants.account_id is not null then (select confidence from product_rule)
            else 0.0
        end,
        coalesce(emails.match_rule <> 'unmatched' and emails.is_conflict, false),
        case when emails.match_rule <> 'unmatched' then emails.candidate_accounts end,
        cast(null as {{ dbt.type_string() }}),
        users.email,
        cast(null as {{ dbt.type_string() }})
    from users
    left join emails
        on users.email = emails.email
    left join tenants
        on users.tenant_id = tenants.tenant_id

    union all

    select
        people.source_system,
        people.source_id,
        emails.account_id,
        coalesce(emails.match_rule, 'unmatched'),
        coalesce(emails.confidence, 0.0),
        coalesce(emails.is_conflict, false),
        emails.candidate_accounts,
        people.source_name,
        people.email,
        cast(null as {{ dbt.type_string() }})
    from people
    left join emails
        on people.email = emails.email
)

select
    source_system,
    source_id,
    account_id,
    match_rule,
    cast(confidence as {{ type_double() }}) as confidence,
    is_conflict,
    candidate_accounts,
    source_name,
    source_email,
    conflict_reason
from bridge
