{{ config(materialized='table') }}

-- One row per CRM account record (Salesforce Account, HubSpot company), deleted ones
-- included and flagged, and the warehouse account_id it belongs to
-- (docs/health-score.md, "Whose data is it").
--
-- A record with a customer number belongs to that number. A record without one may still
-- be an account the other CRM holds (sales never typed the AccountNumber, marketing's
-- HubSpot company has the customer_id): it is matched ACROSS the two CRMs, one-to-one, by
-- rule (seed identity_match_rules):
--   account_domain   the same website domain, normalized; free-mail and shared-hosting
--                    domains (seed free_email_domains) never match
--   normalized_name  the same name once normalized (only when no domain matched)
-- Per record, the deciding rule is account_domain when it found any candidate, else
-- normalized_name. Two records merge only when each is the other's single candidate and
-- no rule points elsewhere; two records that both carry a number never merge (different
-- numbers are different accounts), nor does a record whose number the other CRM already
-- holds. Otherwise nothing is merged and conflict_reason says why:
--   ambiguous_domain  the domain matches several records of the other CRM
--   ambiguous_name    no domain match; the name matches several records
--   rules_disagree    the domain names one record, the name another
--   not_one_to_one    its single candidate has other candidates as well
-- The merged account keeps the customer number of the side that has one, else the
-- Salesforce record's 'salesforce:<Id>' (stable while the pair stands). A record without
-- a number and without a merge is an account of its own, '<crm>:<record id>'.

with rules as (
    select match_rule, confidence from {{ ref('identity_match_rules') }}
),

excluded_domains as (
    select lower(trim(domain)) as domain from {{ ref('free_email_domains') }}
),

records as (
    select
        'salesforce' as source_system,
        salesforce_account_id as record_id,
        account_number as customer_number,
        account_name as record_name,
        {{ normalize_domain('website') }} as domain,
        {{ normalize_company_name('account_name') }} as normalized_name,
        is_deleted
    from {{ ref('stg_salesforce__accounts') }}

    union all

    select
        'hubspot',
        hubspot_company_id,
        customer_id,
        company_name,
        {{ normalize_domain('domain') }},
        {{ normalize_company_name('company_name') }},
        is_deleted
    from {{ ref('stg_hubspot__companies') }}
),

live_numbers as (
    select distinct source_system, customer_number
    from records
    where not is_deleted and customer_number is not null
),

-- live records that may still pair: no number, or a number the other CRM does not hold
open_records as (
    select records.*
    from records
    where not records.is_deleted
        and not exists (
            select 1 from live_numbers
            where live_numbers.customer_number = records.customer_number
                and live_numbers.source_system <> records.source_system
        )
),

keys as (
    select source_system, record_id, customer_number, 'account_domain' as match_rule, domain as match_key
    from open_records
    where domain is not null
        and domain not in (select domain from excluded_domains)

    union all

    select source_system, record_id, customer_number, 'normalized_name', normalized_name
    from open_records
    where normalized_name is not null
),

-- every (record, record of the other CRM, rule) with the same key
candidates as (
    select distinct
        mine.source_system,
        mine.record_id,
        theirs.source_system as candidate_system,
        theirs.record_id as candidate_record_id,
        coalesce(theirs.customer_number, theirs.source_system || ':' || theirs.record_id) as candidate_account,
        mine.match_rule
    from keys as mine
    inner join keys as theirs
        on mine.match_rule = theirs.match_rule
        and mine.match_key = theirs.match_key
        and mine.source_system <> theirs.source_system
    where mine.customer_number is null or theirs.customer_number is null
),

views as (
    select
        source_system,
        record_id,
        count(distinct candidate_record_id) filter (where match_rule = 'account_domain') as n_domain,
        count(distinct candidate_record_id) filter (where match_rule = 'normalized_name') as n_name,
        min(candidate_record_id) filter (where match_rule = 'account_domain') as domain_candidate,
        min(candidate_record_id) filter (where match_rule = 'normalized_name') as name_candidate,
        {{ listagg_distinct_sorted("candidate_account || ' (' || match_rule || ')'", "', '") }} as candidate_accounts
    from candidates
    group by source_system, record_id
),

-- what each record would choose on its own, or why it cannot
choices as (
    select
        views.*,
        case
            when n_domain > 1 then 'ambiguous_domain'
            when n_domain = 1 and n_name > 0 and not exists (
                select 1 from candidates
                where candidates.source_system = views.source_system
                    and candidates.record_id = views.record_id
                    and candidates.match_rule = 'normalized_name'
                    and candidates.candidate_record_id = views.domain_candidate
            ) then 'rules_disagree'
            when n_domain = 0 and n_name > 1 then 'ambiguous_name'
        end as own_conflict,
        case when n_domain > 0 then 'account_domain' else 'normalized_name' end as choice_rule,
        case when n_domain > 0 then domain_candidate else name_candidate end as choice
    from views
),

-- one-to-one: each record is the other's only choice
pairs as (
    select
        sf.record_id as salesforce_record_id,
        hs.record_id as hubspot_record_id,
        sf.choice_rule as match_rule
    from choices as sf
    inner join choices as hs
        on sf.source_system = 'salesforce'
        and hs.source_system = 'hubspot'
        and sf.choice = hs.record_id
        and hs.choice = sf.record_id
    where sf.own_conflict is null
        and hs.own_conflict is null
),

pair_members as (
    select 'salesforce' as source_system, salesforce_record_id as record_id,
        'hubspot' as partner_system, hubspot_record_id as partner_record_id, match_rule, salesforce_record_id
    from pairs
    union all
    select 'hubspot', hubspot_record_id, 'salesforce', salesforce_record_id, match_rule, salesforce_record_id
    from pairs
),

paired as (
    select
        pair_members.source_system,
        pair_members.record_id,
        pair_members.match_rule,
        partner.customer_number as partner_customer_number,
        pair_members.salesforce_record_id
    from pair_members
    inner join records as partner
        on pair_members.partner_system = partner.source_system
        and pair_members.partner_record_id = partner.record_id
),

resolved as (
    select
        records.*,
        paired.match_rule as merge_rule,
        case
            when records.customer_number is not null then records.customer_number
            when paired.partner_customer_number is not null then paired.partner_customer_number
            when paired.salesforce_record_id is not null then 'salesforce:' || paired.salesforce_record_id
            else records.source_system || ':' || records.record_id
        end as account_id,
        -- the record whose own number or id names the account is matched by crm_id;
        -- the other side of a merge by the rule that paired them
        case
            when records.customer_number is not null or paired.match_rule is null then 'crm_id'
            when paired.partner_customer_number is null and records.source_system = 'salesforce' then 'crm_id'
            else paired.match_rule
        end as match_rule,
        case
            when paired.match_rule is null and choices.record_id is not null
                then coalesce(choices.own_conflict, 'not_one_to_one')
        end as conflict_reason,
        choices.candidate_accounts
    from records
    left join paired
        on records.source_system = paired.source_system
        and records.record_id = paired.record_id
    left join choices
        on records.source_system = choices.source_system
        and records.record_id = choices.record_id
)

select
    resolved.source_system,
    resolved.record_id,
    resolved.account_id,
    resolved.customer_number,
    resolved.record_name,
    resolved.domain,
    resolved.normalized_name,
    resolved.match_rule,
    cast(rules.confidence as {{ type_double() }}) as confidence,
    resolved.merge_rule is not null as is_merged,
    resolved.conflict_reason is not null as is_conflict,
    resolved.conflict_reason,
    resolved.candidate_accounts,
    resolved.is_deleted
from resolved
-- a left join: a rule missing from the seed leaves the confidence NULL (a failing test),
-- never the record out
left join rules
    on resolved.match_rule = rules.match_rule
