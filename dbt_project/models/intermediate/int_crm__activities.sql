-- One row per CRM activity (Salesforce Task and Event, HubSpot call, meeting, e-mail and
-- note) with the warehouse account_id of its account (the identity resolution of the CRM
-- records, int_crm__account_records), its kind, when it happened, its owner's e-mail and
-- whether its contact is an executive (seed executive_title_rules).
--   kind          call / meeting / email / note / task; is_touch from seed crm_activity_kinds
--   occurred_at   the time it happened (Task: completed, else its date; Event: start;
--                 HubSpot: hs_timestamp)
--   visible_on    the first day it existed and had happened: the later of occurred and
--                 created (a meeting is booked ahead, a call may be logged late)
--   deleted_on    the day it was deleted (SystemModstamp / hs_lastmodifieddate of a deleted
--                 or archived record): from then on it no longer counts
-- Activities of no known account (a task on a lead, a deleted account) are left out.

with records as (
    select source_system, record_id, account_id
    from {{ ref('int_crm__account_records') }}
    where not is_deleted
),

salesforce_tasks as (
    select
        'salesforce' as source_system,
        salesforce_task_id as source_activity_id,
        -- AccountId is derived by Salesforce; an Account in WhatId is the same when it is missing
        coalesce(salesforce_account_id, case when what_id like '001%' then what_id end) as record_id,
        case
            when task_subtype = 'Call' or task_type = 'Call' then 'call'
            when task_subtype in ('Email', 'ListEmail') or task_type = 'Email' then 'email'
            when task_type = 'Meeting' then 'meeting'
            else 'task'
        end as kind,
        subject,
        coalesce(completed_at, cast(activity_date as timestamp), created_at) as occurred_at,
        created_at,
        owner_user_id as owner_id,
        who_id as contact_id,
        is_deleted,
        modified_at
    from {{ ref('stg_salesforce__tasks') }}
),

salesforce_events as (
    select
        'salesforce',
        salesforce_event_id,
        coalesce(salesforce_account_id, case when what_id like '001%' then what_id end),
        case event_type when 'Call' then 'call' when 'Email' then 'email' else 'meeting' end,
        subject,
        coalesce(starts_at, cast(activity_date as timestamp), created_at),
        created_at,
        owner_user_id,
        who_id,
        is_deleted,
        modified_at
    from {{ ref('stg_salesforce__events') }}
),

hubspot_activities as (
    select 'hubspot' as source_system, hubspot_call_id as source_activity_id, hubspot_company_id as record_id,
        'call' as kind, title as subject, occurred_at, created_at, hubspot_owner_id as owner_id,
        hubspot_contact_id as contact_id, is_deleted, modified_at
    from {{ ref('stg_hubspot__calls') }}
    union all
    select 'hubspot', hubspot_meeting_id, hubspot_company_id, 'meeting', title, coalesce(occurred_at, starts_at),
        created_at, hubspot_owner_id, hubspot_contact_id, is_deleted, modified_at
    from {{ ref('stg_hubspot__meetings') }}
    -- a meeting that did not take place is no touch
    where coalesce(outcome, '') not in ('CANCELED', 'NO_SHOW', 'RESCHEDULED')
    union all
    select 'hubspot', hubspot_email_id, hubspot_company_id, 'email', subject, occurred_at, created_at,
        hubspot_owner_id, hubspot_contact_id, is_deleted, modified_at
    from {{ ref('stg_hubspot__emails') }}
    union all
    select 'hubspot', hubspot_note_id, hubspot_company_id, 'note', null, occurred_at, created_at,
        hubspot_owner_id, hubspot_contact_id, is_deleted, modified_at
    from {{ ref('stg_hubspot__notes') }}
),

activities as (
    select * from salesforce_tasks
    union all
    select * from salesforce_events
    union all
    select * from hubspot_activities
),

owners as (
    select 'salesforce' as source_system, salesforce_user_id as owner_id, email from {{ ref('stg_salesforce__users') }}
    union all
    select 'hubspot', hubspot_owner_id, email from {{ ref('stg_hubspot__owners') }}
),

contacts as (
    select 'salesforce' as source_system, salesforce_contact_id as contact_id, title
    from {{ ref('stg_salesforce__contacts') }}
    union all
    select 'hubspot', hubspot_contact_id, job_title from {{ ref('stg_hubspot__contacts') }}
),

title_words as (
    -- the title as lower-case words between spaces, for whole-word matching
    select
        source_system,
        contact_id,
        title,
        ' ' || trim({{ regexp_replace_all('lower(title)', "'[^a-z0-9]+'", "' '") }}) || ' ' as words
    from contacts
    where title is not null
),

executives as (
    select distinct title_words.source_system, title_words.contact_id
    from title_words
    inner join {{ ref('executive_title_rules') }} as rules
        on (rules.match = 'word' and title_words.words like '% ' || lower(rules.pattern) || ' %')
        or (rules.match = 'substring' and position(lower(rules.pattern) in lower(title_words.title)) > 0)
)

select
    activities.source_system || ':' || activities.source_activity_id as activity_id,
    activities.source_system,
    activities.source_activity_id,
    records.account_id,
    activities.kind,
    coalesce(kinds.is_touch, false) as is_touch,
    activities.subject,
    activities.occurred_at,
    activities.created_at,
    greatest(cast(activities.occurred_at as date), coalesce(cast(activities.created_at as date),
                                                             cast(activities.occurred_at as date))) as visible_on,
    lower(owners.email) as owner_email,
    activities.contact_id,
    contacts.title as contact_title,
    executives.contact_id is not null as is_executive_contact,
    activities.is_deleted,
    case when activities.is_deleted then cast(activities.modified_at as date) end as deleted_on
from activities
inner join records
    on activities.source_system = records.source_system
    and activities.record_id = records.record_id
left join {{ ref('crm_activity_kinds') }} as kinds
    on activities.kind = kinds.kind
left join owners
    on activities.source_system = owners.source_system
    and activities.owner_id = owners.owner_id
left join contacts
    on activities.source_system = contacts.source_system
    and activities.contact_id = contacts.contact_id
left join executives
    on activities.source_system = executives.source_system
    and activities.contact_id = executives.contact_id
where activities.occurred_at is not null
