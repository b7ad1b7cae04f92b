-- Support metrics analysts can trust, one row per (month created, help desk, priority):
-- ticket counts, median and 90th-percentile first-response and resolution times (calendar
-- minutes, of the tickets that got one), SLA breach rates against seed
-- support_sla_policy (a ticket without a response / resolution counts as breached once
-- its deadline has passed), CSAT = good / all ratings.

select
    cast(date_trunc('month', created_at) as date) as month,
    help_desk,
    priority,
    count(*) as tickets,
    count(*) filter (where account_id is null) as tickets_unmatched,
    count(*) filter (where status = 'solved') as tickets_solved,
    -- percentiles of whole tenths of a minute, rounded to 6 places before the last rounding:
    -- engines interpolate with different float formulas (35634.5 or 35634.4999…), and a
    -- result halfway between two tenths (3113.45) must round alike on each (round_float)
    {{ round_float('round(' ~ median('round(first_response_minutes * 10)') ~ ', 6) / 10', 1) }} as median_first_response_minutes,
    {{ round_float('round(' ~ percentile_cont('round(first_response_minutes * 10)', 0.9) ~ ', 6) / 10', 1) }}
        as p90_first_response_minutes,
    {{ round_float('round(' ~ median('round(resolution_minutes * 10)') ~ ', 6) / 10', 1) }} as median_resolution_minutes,
    {{ round_float('round(' ~ percentile_cont('round(resolution_minutes * 10)', 0.9) ~ ', 6) / 10', 1) }}
        as p90_resolution_minutes,
    {{ dbt.any_value('sla_first_response_minutes') }} as sla_first_response_minutes,
    {{ dbt.any_value('sla_resolution_minutes') }} as sla_resolution_minutes,
    count(*) filter (where first_response_breached) as first_response_breaches,
    count(*) filter (where resolution_breached) as resolution_breaches,
    round(cast(count(*) filter (where sla_breached) as {{ type_double() }}) / count(*), 4) as sla_breach_rate,
    count(*) filter (where csat is not null) as csat_ratings,
    round({{ ratio("count(*) filter (where csat = 'good')", 'count(*) filter (where csat is not null)') }}, 4) as csat
from {{ ref('int_support__tickets') }}
group by 1, 2, 3
