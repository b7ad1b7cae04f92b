-- The weights of every scorecard in force (seed and learned), per stage, add up to 1.
select scorecard_version, lifecycle_stage, sum(weight) as total_weight
from {{ ref('int_health__scorecard_weights') }}
group by scorecard_version, lifecycle_stage
having abs(sum(weight) - 1) > 1e-9
