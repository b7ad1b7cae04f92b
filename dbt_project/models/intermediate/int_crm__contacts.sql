-- One row per CRM contact (Salesforce Contact, HubSpot contact) with the warehouse
-- account_id of its account and a normalized e-mail. Deleted / archived contacts and
-- contacts of deleted accounts are left out. The same person may appear several times
-- (both CRMs, duplicates): identity matching counts accounts, not rows.

with records as (
    select * from {{ ref('int_crm__account_records') }}
    where not is_deleted
)

select
    'salesforce' as source_system,
    contacts.salesforce_contact_id as source_contact_id,
    records.account_id,
    {{ normalize_email('contacts.email') }} as email,
    contacts.first_name,
    contacts.last_name,
    contacts.title
from {{ ref('stg_salesforce__contacts') }} as contacts
inner join records
    on records.source_system = 'salesforce'
    and contacts.salesforce_account_id = records.record_id
where not contacts.is_deleted

union all

select
    'hubspot' as source_system,
    contacts.hubspot_contact_id as source_contact_id,
    records.account_id,
    {{ normalize_email('contacts.email') }} as email,
    contacts.first_name,
    contacts.last_name,
    contacts.job_title as title
from {{ ref('stg_hubspot__contacts') }} as contacts
inner join records
    on records.source_system = 'hubspot'
    and contacts.hubspot_company_id = records.record_id
where not contacts.is_deleted
