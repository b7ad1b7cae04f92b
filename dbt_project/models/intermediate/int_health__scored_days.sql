-- One row per (account, scored day): the day's inputs (int_account__daily_inputs, which
-- holds the last score_history_days) with what the score components need beyond them.
-- Scored days: a contract covers the day (the day has a lifecycle stage). The components
-- themselves are defined once (macro health_components) over a row of this model.

with inputs as (
    select *
    from {{ ref('int_account__daily_inputs') }}
    where lifecycle_stage is not null
),

-- a renewal is signed once a later term of the account is signed in the CRM (on or before
-- D): the end of the latest such term replaces the covering contract's end
signed_renewals as (
    select
        inputs.account_id,
        inputs.as_of_date,
        max(renewals.end_date) as signed_through
    from inputs
    inner join {{ ref('int_crm__contracts') }} as renewals
        on inputs.account_id = renewals.account_id
        and renewals.start_date >= inputs.contract_end_date
        and cast(renewals.signed_at as date) <= inputs.as_of_date
    group by inputs.account_id, inputs.as_of_date
)

select
    inputs.*,
    signed.signed_through,
    {{ dbt.datediff('inputs.as_of_date', 'coalesce(signed.signed_through, inputs.contract_end_date)', 'day') }}
        as days_to_exposure,
    {{ ratio('inputs.seats', 'inputs.previous_seats') }} as seat_change_ratio,
    {{ safe_divide(safe_divide('inputs.mrr', 'inputs.seats'), safe_divide('inputs.previous_mrr', 'inputs.previous_seats')) }}
        as seat_price_ratio
from inputs
left join signed_renewals as signed
    on inputs.account_id = signed.account_id
    and inputs.as_of_date = signed.as_of_date
