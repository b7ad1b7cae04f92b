-- Every CRM account record (Salesforce Account, HubSpot company) with the warehouse
-- account_id it belongs to: the customer number, or '<crm>:<record id>' without one
-- (contract section 3). Deleted / archived records are kept and flagged, so children of
-- a deleted record can be left out consistently.

select
    'salesforce' as source_system,
    salesforce_account_id as record_id,
    coalesce(account_number, 'salesforce:' || salesforce_account_id) as account_id,
    is_deleted
from {{ ref('stg_salesforce__accounts') }}

union all

select
    'hubspot' as source_system,
    hubspot_company_id as record_id,
    coalesce(customer_id, 'hubspot:' || hubspot_company_id) as account_id,
    is_deleted
from {{ ref('stg_hubspot__companies') }}
