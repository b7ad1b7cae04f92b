-- Every CRM account record (Salesforce Account, HubSpot company) with the warehouse
-- account_id it belongs to: the customer number, the account of the other CRM's record it
-- was matched to (int_identity__crm_records), or '<crm>:<record id>'
-- (docs/health-score.md, "Whose data is it").
-- Deleted / archived records are kept and flagged, so children of a deleted record can be
-- left out consistently.

select
    source_system,
    record_id,
    account_id,
    match_rule,
    confidence,
    is_deleted
from {{ ref('int_identity__crm_records') }}
