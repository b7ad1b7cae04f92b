-- The weights of one scorecard version and lifecycle stage must add up to 1.
select scorecard_version, lifecycle_stage, sum(weight) as total_weight
from {{ ref('health_score_weights') }}
group by scorecard_version, lifecycle_stage
having abs(sum(weight) - 1) > 1e-9
