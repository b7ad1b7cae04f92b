-- The daily history has no holes: while one contract covers an account, the account is
-- scored on every day from the first scored day of that contract to the last.
-- A warning, not an error: a day whose coverage falls below var min_coverage is left out by
-- design (a learned scorecard that leans on a component a young account lacks can do that),
-- and stopping every mart and the CRM sync for it would hide more than it protects.
{{ config(severity='warn') }}
select account_id, contract_id, min(as_of_date) as first_day, max(as_of_date) as last_day, count(*) as n_days
from {{ ref('health_scores') }}
group by account_id, contract_id
having count(*) <> {{ dbt.datediff('min(as_of_date)', 'max(as_of_date)', 'day') }} + 1
