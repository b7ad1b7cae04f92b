-- One row per (account, scored day, component): the component score
-- (int_health__component_values) with its weight for the day's lifecycle stage under the
-- scorecard in force on the day (int_health__day_scorecards). The per-component view of
-- what int_health__scores computes side by side on one row per account and day.

select
    component_values.account_id,
    component_values.as_of_date,
    component_values.lifecycle_stage,
    day_scorecards.scorecard_version,
    component_values.component,
    component_values.weight_role,
    component_values.component_value,
    component_values.floor,
    component_values.target,
    component_values.score,
    scorecards.weight,
    component_values.reason
from {{ ref('int_health__component_values') }} as component_values
inner join {{ ref('int_health__day_scorecards') }} as day_scorecards
    on component_values.as_of_date = day_scorecards.as_of_date
inner join {{ ref('int_health__scorecard_weights') }} as scorecards
    on day_scorecards.scorecard_version = scorecards.scorecard_version
    and component_values.lifecycle_stage = scorecards.lifecycle_stage
    and component_values.component = scorecards.component
