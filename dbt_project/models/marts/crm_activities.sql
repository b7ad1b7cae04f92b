-- One row per CRM activity (call, meeting, e-mail, note, task) of a known account, as the
-- CRMs hold it today: deleted and archived ones are left out. The customer page lists
-- the recent ones; int_crm__activities keeps the deleted ones for point-in-time scoring.

select
    activity_id,
    account_id,
    source_system,
    source_activity_id,
    kind,
    is_touch,
    subject,
    occurred_at,
    cast(occurred_at as date) as occurred_on,
    owner_email,
    contact_id,
    contact_title,
    is_executive_contact
from {{ ref('int_crm__activities') }}
where not is_deleted
