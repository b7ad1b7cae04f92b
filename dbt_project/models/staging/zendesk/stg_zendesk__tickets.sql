with source as (
    select * from {{ source_or_empty('zendesk', 'tickets', {
        'id': 'bigint',
        'requester_id': 'bigint',
        'subject': 'varchar',
        'priority': 'varchar',
        'status': 'varchar',
        'created_at': 'timestamptz',
        'updated_at': 'timestamptz',
        'satisfaction_rating__score': 'varchar',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as zendesk_ticket_id,
        {{ to_id('requester_id') }} as requester_id,
        subject,
        lower(priority) as priority,
        lower(status) as status,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        lower(satisfaction_rating__score) as satisfaction_score,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
        and {{ to_utc_timestamp('created_at') }} is not null
)

{{ dedupe('renamed', 'zendesk_ticket_id', 'updated_at desc nulls last, dlt_load_id desc') }}
