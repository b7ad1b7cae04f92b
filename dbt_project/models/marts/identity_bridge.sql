-- The identity resolution (int_identity__bridge) as users query it: one row per
-- (source_system, source_id) and the account it belongs to.

select
    source_system,
    source_id,
    account_id,
    match_rule,
    confidence,
    is_conflict,
    candidate_accounts,
    source_name,
    source_email,
    conflict_reason
from {{ ref('int_identity__bridge') }}
