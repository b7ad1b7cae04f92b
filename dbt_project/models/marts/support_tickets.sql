-- One row per help-desk ticket (Zendesk and Freshdesk in one shape) with its account,
-- response and resolution times, SLA targets of its priority (seed support_sla_policy),
-- breaches and CSAT. See int_support__tickets for the rules.

select * from {{ ref('int_support__tickets') }}
