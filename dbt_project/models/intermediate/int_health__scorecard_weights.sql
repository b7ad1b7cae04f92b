-- The scorecards in force: one row per (scorecard_version, lifecycle_stage, component)
-- with the first day the version scores (effective_from).
--   the seed scorecard (var scorecard_version) scores every day no learned version covers;
--   learned versions (source learning_scorecard.scorecard_weights, fit walk-forward by
--   learning/scorecard.py on the same seed scorecard) each score from their fit date on.
-- CS360_SCORECARD=pinned leaves the learned versions out: every day gets the seed.

{%- set base_version = var('scorecard_version') %}
{%- set pinned = env_var('CS360_SCORECARD', 'learned') | lower == 'pinned' %}

with seed as (
    select
        scorecard_version,
        cast(null as date) as effective_from,
        lifecycle_stage,
        component,
        weight,
        'expert' as method,
        'seed health_score_weights' as reason
    from {{ ref('health_score_weights') }}
    where scorecard_version = '{{ base_version }}'
),

learned as (
    select
        scorecard_version,
        cast(effective_from as date) as effective_from,
        lifecycle_stage,
        component,
        -- the seed's exact decimals: sums of weights must not depend on the order of addition
        cast(weight as decimal(9, 4)) as weight,
        method,
        reason
    from {{ source_or_empty('learning_scorecard', 'scorecard_weights', {
        'scorecard_version': 'varchar',
        'base_scorecard_version': 'varchar',
        'effective_from': 'date',
        'lifecycle_stage': 'varchar',
        'component': 'varchar',
        'weight': 'double',
        'method': 'varchar',
        'reason': 'varchar',
    }) }} as learned
    where base_scorecard_version = '{{ base_version }}'
    {%- if pinned %}
        and false
    {%- endif %}
)

select * from seed
union all
select * from learned
