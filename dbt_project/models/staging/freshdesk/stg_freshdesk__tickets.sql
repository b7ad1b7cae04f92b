with source as (
    select * from {{ source_or_empty('freshdesk', 'tickets', {
        'id': 'bigint',
        'requester_id': 'bigint',
        'requester__email': 'varchar',
        'subject': 'varchar',
        'priority': 'bigint',
        'status': 'bigint',
        'created_at': 'timestamptz',
        'updated_at': 'timestamptz',
        'fr_due_by': 'timestamptz',
        'due_by': 'timestamptz',
        'stats__first_responded_at': 'timestamptz',
        'stats__resolved_at': 'timestamptz',
        'is_deleted': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as freshdesk_ticket_id,
        {{ to_id('requester_id') }} as requester_id,
        requester__email as requester_email,
        subject,
        -- 1 low, 2 medium, 3 high, 4 urgent
        {{ to_integer('priority') }} as priority_code,
        -- 2 open, 3 pending, 4 resolved, 5 closed
        {{ to_integer('status') }} as status_code,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('fr_due_by') }} as first_response_due_at,
        {{ to_utc_timestamp('due_by') }} as resolution_due_at,
        {{ to_utc_timestamp('stats__first_responded_at') }} as first_responded_at,
        {{ to_utc_timestamp('stats__resolved_at') }} as resolved_at,
        {{ to_flag('is_deleted') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
        and {{ to_utc_timestamp('created_at') }} is not null
)

{{ dedupe('renamed', 'freshdesk_ticket_id', 'updated_at desc nulls last, dlt_load_id desc') }}
