with source as (
    select * from {{ source_or_empty('zendesk', 'satisfaction_ratings', {
        'id': 'bigint',
        'ticket_id': 'bigint',
        'requester_id': 'bigint',
        'score': 'varchar',
        'created_at': 'timestamptz',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as zendesk_rating_id,
        {{ to_id('ticket_id') }} as zendesk_ticket_id,
        {{ to_id('requester_id') }} as requester_id,
        lower(score) as score,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'zendesk_rating_id', 'updated_at desc nulls last, dlt_load_id desc') }}
