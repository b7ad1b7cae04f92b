-- Every health score is within 0-100 and equals the sum of its component contributions
-- (within rounding, 0.1).
select *
from {{ ref('health_scores') }}
where health_score < 0
    or health_score > 100
    or abs(
        health_score
        - coalesce(utilization_contribution, 0)
        - coalesce(usage_contribution, 0)
        - coalesce(usage_trend_contribution, 0)
        - coalesce(breadth_contribution, 0)
    ) > 0.1
