-- Every scorecard version and lifecycle stage has a band for the lowest scores (min 0),
-- so every score gets a band.
select scorecard_version, lifecycle_stage, min(min_score) as lowest
from {{ ref('health_band_thresholds') }}
group by scorecard_version, lifecycle_stage
having min(min_score) <> 0
