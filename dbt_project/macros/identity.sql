{#
  Resolve records to accounts from match candidates, the same way for every kind of
  record. `candidates` is a relation with

      record_id, match_rule, account_id, voter

  one row per piece of evidence (`voter`: the e-mail, user or tenant that supports the
  match). Per record, the rule with the lowest priority in the identity_match_rules seed
  that produced any candidate wins. Within it each account gets one vote per distinct
  voter; the account with the most votes wins, with

      confidence = rule confidence x (winner's votes / all votes of that rule)

  A record whose winning rule names more than one account is a conflict (is_conflict,
  with every candidate listed); when the top accounts tie, no account is chosen
  (account_id NULL, match_rule 'conflict', confidence 0). Returns one row per record
  that had any candidate.
#}
{% macro resolve_identity(candidates) -%}
    with votes as (
        select
            candidates.record_id,
            candidates.match_rule,
            rules.priority,
            rules.confidence as rule_confidence,
            candidates.account_id,
            count(distinct candidates.voter) as votes
        from {{ candidates }} as candidates
        inner join {{ ref('identity_match_rules') }} as rules
            on candidates.match_rule = rules.match_rule
        where candidates.account_id is not null
        group by 1, 2, 3, 4, 5
    ),

    winning_rule_votes as (
        select *
        from (select *, min(priority) over (partition by record_id) as winning_priority from votes) as ranked
        where priority = winning_priority
    ),

    winning_rule as (
        select
            *,
            sum(votes) over per_record as rule_votes,
            count(*) over per_record as n_candidate_accounts,
            row_number() over (partition by record_id order by votes desc, account_id) as vote_rank,
            -- the runner-up's votes: equal to the winner's on a tie
            nth_value(votes, 2) over (
                partition by record_id order by votes desc, account_id
                rows between unbounded preceding and unbounded following
            ) as runner_up_votes
        from winning_rule_votes
        window per_record as (partition by record_id)
    ),

    candidate_lists as (
        select
            record_id,
            {{ dbt.listagg("account_id || ' (' || votes || ')'", "', '", 'order by votes desc, account_id') }}
                as candidate_accounts
        from winning_rule
        group by record_id
    )

    select
        winning_rule.record_id,
        case when winning_rule.votes = winning_rule.runner_up_votes then 'conflict'
             else winning_rule.match_rule end as match_rule,
        case when winning_rule.votes = winning_rule.runner_up_votes then null
             else winning_rule.account_id end as account_id,
        case when winning_rule.votes = winning_rule.runner_up_votes then 0.0
             else round(winning_rule.rule_confidence * winning_rule.votes / winning_rule.rule_votes, 3)
        end as confidence,
        winning_rule.match_rule as evidence_rule,
        winning_rule.n_candidate_accounts,
        winning_rule.n_candidate_accounts > 1 as is_conflict,
        candidate_lists.candidate_accounts
    from winning_rule
    inner join candidate_lists
        on winning_rule.record_id = candidate_lists.record_id
    where winning_rule.vote_rank = 1
{%- endmacro %}
