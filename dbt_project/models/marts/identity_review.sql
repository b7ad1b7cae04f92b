-- Everything identity matching could not settle with confidence, for a person to review:
-- one row per identity_bridge record that is
--   unmatched            no rule found an account
--   conflict_unresolved  the winning rule names several accounts with equal evidence; no
--                        account was chosen
--   conflict_majority    the winning rule names several accounts; the one with the most
--                        evidence was chosen (candidate_accounts lists all, with votes)
--   weak_match           matched by a low-confidence rule only (confidence below the var
--                        identity_review_below, e.g. a name match)
-- and, for a CRM record matched across the two CRMs (int_identity__crm_records), nothing
-- merged because
--   ambiguous_domain     its domain matches several records of the other CRM
--   ambiguous_name       no domain match, and its name matches several records
--   rules_disagree       its domain names one record, its name another
--   not_one_to_one       its single candidate has other candidates as well
-- Fix the CRM (add the contact, the domain, the customer number), or store the customer
-- number in the product, and the next run resolves it. For two CRM records of one
-- customer, typing the same customer number into both merges them.

select
    source_system,
    source_id,
    case
        when conflict_reason is not null then conflict_reason
        when match_rule = 'conflict' then 'conflict_unresolved'
        when account_id is null then 'unmatched'
        when is_conflict then 'conflict_majority'
        else 'weak_match'
    end as review_reason,
    account_id,
    match_rule,
    confidence,
    candidate_accounts,
    source_name,
    source_email
from {{ ref('identity_bridge') }}
where account_id is null
    or is_conflict
    or confidence < {{ var('identity_review_below') }}
