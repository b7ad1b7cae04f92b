-- One row per scored day: how far the mix of health bands moved against the same day a
-- week before, as a population stability index over the bands' shares of scored accounts:
--   band_psi = sum over bands of (share_today - share_before) * ln(share_today / share_before)
-- with every share smoothed by + 0.001 so a band that is empty on one side stays finite.
-- NULL when no account was scored a week before. The sync gate band_mix_stable
-- (reverse_etl/gates.py) judges the latest day: a jump is a data fault far more often
-- than a change in customers.

{%- set lag_days = 7 %}
{%- set smoothing = 0.001 %}

with shares as (
    select
        as_of_date,
        health_band,
        cast(count(*) as {{ type_double() }}) / sum(count(*)) over (partition by as_of_date) as share
    from {{ ref('health_scores') }}
    group by as_of_date, health_band
),

days as (
    select distinct as_of_date from shares
),

bands as (
    select distinct health_band from shares
),

paired as (
    select
        days.as_of_date,
        bands.health_band,
        earlier.share is not null as scored_before,
        coalesce(today.share, 0) + {{ smoothing }} as share_today,
        coalesce(earlier.share, 0) + {{ smoothing }} as share_before
    from days
    cross join bands
    left join shares as today
        on days.as_of_date = today.as_of_date
        and bands.health_band = today.health_band
    left join shares as earlier
        on {{ add_days('days.as_of_date', -lag_days) }} = earlier.as_of_date
        and bands.health_band = earlier.health_band
)

select
    as_of_date,
    {{ add_days('as_of_date', -lag_days) }} as compared_with,
    case
        when max(case when scored_before then 1 else 0 end) = 1
            then sum((share_today - share_before) * ln(share_today / share_before))
    end as band_psi
from paired
group by as_of_date
