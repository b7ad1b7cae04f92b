{{ config(materialized='table') }}

-- One row per help-desk ticket from Zendesk and Freshdesk in one shape, with the
-- requester's account (int_identity__bridge), first-response and resolution times, the SLA
-- of its priority (seed support_sla_policy) and whether it was breached, and its CSAT.
--
-- Point in time: every fact carries its own timestamp (created_at, first_response_at,
-- solved_at, rated_at, breached_at), so a day D can count only what had happened by the
-- end of D. An SLA is breached at its deadline when the first response (or the
-- resolution) had not happened by then; breached_at is that deadline. Times are calendar
-- minutes.

with latest_day as (
    select
        as_of_date as today,
        cast({{ add_days('as_of_date', 1) }} as timestamp) as today_end
    from {{ ref('int_calendar__as_of_date') }}
),

bridge as (
    select source_system, source_id, account_id, source_email
    from {{ ref('int_identity__bridge') }}
    where source_system in ('zendesk', 'freshdesk')
),

zendesk_ratings as (
    select {{ distinct_on('zendesk_ticket_id') }} zendesk_ticket_id, score, created_at
    from {{ ref('stg_zendesk__satisfaction_ratings') }}
    where score in ('good', 'bad')
    {{ qualify_first('zendesk_ticket_id', 'created_at desc nulls last, zendesk_rating_id desc') }}
),

zendesk as (
    select
        'zendesk:' || tickets.zendesk_ticket_id as ticket_key,
        'zendesk' as help_desk,
        tickets.zendesk_ticket_id as source_ticket_id,
        tickets.requester_id as requester_key,
        tickets.subject,
        -- no priority (or one of our own) counts as normal
        case when tickets.priority in ('urgent', 'high', 'low') then tickets.priority else 'normal' end
            as priority,
        case
            when tickets.status in ('solved', 'closed') then 'solved'
            when tickets.status = 'pending' or tickets.status = 'hold' then 'pending'
            else 'open'
        end as status,
        tickets.created_at,
        case
            when metrics.reply_time_minutes is not null
                then {{ dbt.dateadd('minute', 'metrics.reply_time_minutes', 'tickets.created_at') }}
        end as first_response_at,
        coalesce(
            metrics.solved_at,
            case when metrics.full_resolution_time_minutes is not null
                then {{ dbt.dateadd('minute', 'metrics.full_resolution_time_minutes', 'tickets.created_at') }} end,
            case when tickets.status in ('solved', 'closed') then tickets.updated_at end
        ) as solved_at,
        coalesce(
            ratings.score,
            case when tickets.satisfaction_score in ('good', 'bad') then tickets.satisfaction_score end
        ) as csat,
        case
            when ratings.score is not null then ratings.created_at
            when tickets.satisfaction_score in ('good', 'bad') then tickets.updated_at
        end as rated_at
    from {{ ref('stg_zendesk__tickets') }} as tickets
    left join {{ ref('stg_zendesk__ticket_metrics') }} as metrics
        on tickets.zendesk_ticket_id = metrics.zendesk_ticket_id
    left join zendesk_ratings as ratings
        on tickets.zendesk_ticket_id = ratings.zendesk_ticket_id
    -- the incremental export returns a deleted ticket once more, with status 'deleted'
    where tickets.status is distinct from 'deleted'
),

freshdesk_ratings as (
    select {{ distinct_on('freshdesk_ticket_id') }} freshdesk_ticket_id, rating, created_at
    from {{ ref('stg_freshdesk__satisfaction_ratings') }}
    where rating is not null
    {{ qualify_first('freshdesk_ticket_id', 'created_at desc nulls last, freshdesk_rating_id desc') }}
),

freshdesk as (
    select
        'freshdesk:' || tickets.freshdesk_ticket_id as ticket_key,
        'freshdesk' as help_desk,
        tickets.freshdesk_ticket_id as source_ticket_id,
        coalesce(tickets.requester_id, {{ normalize_email('tickets.requester_email') }}) as requester_key,
        tickets.subject,
        case tickets.priority_code
            when 4 then 'urgent' when 3 then 'high' when 1 then 'low' else 'normal'
        end as priority,
        case
            when tickets.status_code in (4, 5) then 'solved'
            when tickets.status_code = 3 then 'pending'
            else 'open'
        end as status,
        tickets.created_at,
        tickets.first_responded_at as first_response_at,
        coalesce(
            tickets.resolved_at,
            case when tickets.status_code in (4, 5) then tickets.updated_at end
        ) as solved_at,
        -- Freshdesk's scale: 101-103 happy, 100 neutral, -101..-103 unhappy
        case
            when ratings.rating > 100 then 'good'
            when ratings.rating = 100 then 'neutral'
            when ratings.rating < 0 then 'bad'
        end as csat,
        ratings.created_at as rated_at
    from {{ ref('stg_freshdesk__tickets') }} as tickets
    left join freshdesk_ratings as ratings
        on tickets.freshdesk_ticket_id = ratings.freshdesk_ticket_id
    where not tickets.is_deleted
),

tickets as (
    select * from zendesk
    union all
    select * from freshdesk
),

with_sla as (
    select
        tickets.*,
        bridge.account_id,
        bridge.source_email as requester_email,
        sla.first_response_minutes as sla_first_response_minutes,
        sla.resolution_minutes as sla_resolution_minutes,
        {{ dbt.dateadd('minute', 'sla.first_response_minutes', 'tickets.created_at') }} as first_response_due_at,
        {{ dbt.dateadd('minute', 'sla.resolution_minutes', 'tickets.created_at') }} as resolution_due_at
    from tickets
    left join bridge
        on bridge.source_system = tickets.help_desk
        and bridge.source_id = tickets.requester_key
    left join {{ ref('support_sla_policy') }} as sla
        on tickets.priority = sla.priority
),

measured as (
    select
        with_sla.*,
        {{ minutes_between('created_at', 'first_response_at') }} as first_response_minutes,
        {{ minutes_between('created_at', 'solved_at') }} as resolution_minutes,
        -- breached when the deadline passed (by the end of the warehouse's today) without it
        coalesce(first_response_at, latest_day.today_end) > first_response_due_at
            and first_response_due_at < latest_day.today_end as first_response_breached,
        coalesce(solved_at, latest_day.today_end) > resolution_due_at
            and resolution_due_at < latest_day.today_end as resolution_breached
    from with_sla
    cross join latest_day
)

select
    ticket_key,
    help_desk,
    source_ticket_id,
    account_id,
    requester_key,
    requester_email,
    subject,
    priority,
    status,
    created_at,
    cast(created_at as date) as created_on,
    first_response_at,
    solved_at,
    cast(solved_at as date) as solved_on,
    first_response_minutes,
    resolution_minutes,
    sla_first_response_minutes,
    sla_resolution_minutes,
    first_response_due_at,
    resolution_due_at,
    coalesce(first_response_breached, false) as first_response_breached,
    coalesce(resolution_breached, false) as resolution_breached,
    coalesce(first_response_breached or resolution_breached, false) as sla_breached,
    -- the moment the breach became a fact: the first missed deadline
    case
        when first_response_breached then first_response_due_at
        when resolution_breached then resolution_due_at
    end as breached_at,
    csat,
    rated_at,
    cast(rated_at as date) as rated_on
from measured
