-- One row per (source_system, source_id) of a record outside the CRMs and the account it
-- belongs to. For now: product tenants (source_system 'product'); unmatched tenants
-- stay with a NULL account_id so they can be reviewed.

select
    'product' as source_system,
    tenant_id as source_id,
    account_id,
    match_rule,
    confidence,
    tenant_name as source_name,
    signup_email as source_email
from {{ ref('int_identity__tenant_accounts') }}
