-- The keys a record outside the CRMs can be matched on, one row per (match_rule, key,
-- account_id). A key may point at several accounts (a contact kept under two accounts,
-- two accounts sharing a domain or a name): identity matching then reports a conflict.
--   crm_id           the account_id (lower-cased), its Salesforce Account Id, its HubSpot company id
--   contact_email    e-mails of the account's CRM contacts
--   email_domain     the account domain; for an account without one, the domains of its
--                    contacts' e-mails. Free-mail domains (seed free_email_domains) never.
--   normalized_name  the account name, normalized

with accounts as (
    select * from {{ ref('int_crm__accounts') }}
),

contacts as (
    select distinct account_id, email
    from {{ ref('int_crm__contacts') }}
    where email is not null
),

free_mail as (
    select lower(trim(domain)) as domain from {{ ref('free_email_domains') }}
),

keys as (
    select 'crm_id' as match_rule, lower(account_id) as match_key, account_id from accounts
    union all
    -- record ids compare exactly (15-character Salesforce Ids are case-sensitive)
    select 'crm_id', salesforce_account_id, account_id from accounts
    where salesforce_account_id is not null
    union all
    -- the 15-character form of an 18-character Salesforce Id
    select 'crm_id', left(salesforce_account_id, 15), account_id from accounts
    where length(salesforce_account_id) = 18
    union all
    select 'crm_id', hubspot_company_id, account_id from accounts
    where hubspot_company_id is not null
    union all
    select 'contact_email', email, account_id from contacts
    union all
    select 'email_domain', domain, account_id from accounts
    where domain is not null
    union all
    select 'email_domain', {{ email_domain('contacts.email') }}, contacts.account_id
    from contacts
    inner join accounts
        on contacts.account_id = accounts.account_id
        and accounts.domain is null
    union all
    select 'normalized_name', normalized_name, account_id from accounts
    where normalized_name is not null
)

select distinct keys.match_rule, keys.match_key, keys.account_id
from keys
where keys.match_key is not null
    and not (
        keys.match_rule = 'email_domain'
        and keys.match_key in (select domain from free_mail)
    )
