-- Every health score is within 0-100 and equals the sum of its component contributions
-- (within rounding, 0.5 points), and every contribution is within 0-100.
select *
from {{ ref('health_scores') }}
where health_score < 0
    or health_score > 100
    or abs(
        health_score
        {%- for component in var('score_components') %}
        - coalesce({{ component }}_contribution, 0)
        {%- endfor %}
    ) > 0.5
    {%- for component in var('score_components') %}
    or {{ component }}_contribution not between 0 and 100
    or {{ component }}_score not between 0 and 100
    {%- endfor %}
