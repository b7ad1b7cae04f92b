-- The latest health score of every scored account, with the change over 30 days.

with health_scores as (
    select * from {{ ref('health_scores') }}
),

latest as (
    select {{ distinct_on('account_id') }} *
    from health_scores
    {{ qualify_first('account_id', 'as_of_date desc') }}
)

select
    latest.*,
    round(latest.health_score - thirty_days_earlier.health_score, 1) as score_change_30d
from latest
left join health_scores as thirty_days_earlier
    on latest.account_id = thirty_days_earlier.account_id
    and thirty_days_earlier.as_of_date = {{ add_days('latest.as_of_date', -30) }}
