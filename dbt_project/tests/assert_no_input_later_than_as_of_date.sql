-- Point in time: no score row uses an input dated after its own day, no alert is raised
-- before what triggered it, and nothing is dated after the world's today.
with world as (
    select as_of_date as world_date from {{ ref('int_calendar__as_of_date') }}
)

select 'health_scores' as model, account_id, cast(as_of_date as {{ dbt.type_string() }}) as detail
from {{ ref('health_scores') }}
where last_activity_on > as_of_date

union all

select 'health_scores', account_id, cast(as_of_date as {{ dbt.type_string() }})
from {{ ref('health_scores') }}
cross join world
where as_of_date > world.world_date

union all

select 'alerts', account_id, alert_id
from {{ ref('alerts') }}
cross join world
where cast(created_at as date) > world.world_date
    or triggered_on > world.world_date

union all

select 'health_scores', account_id, cast(as_of_date as {{ dbt.type_string() }})
from {{ ref('health_scores') }}
where last_csm_touch_on > as_of_date
