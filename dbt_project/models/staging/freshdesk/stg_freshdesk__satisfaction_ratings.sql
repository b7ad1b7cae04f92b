with source as (
    select * from {{ source_or_empty('freshdesk', 'satisfaction_ratings', {
        'id': 'bigint',
        'ticket_id': 'bigint',
        'ratings__default_question': 'bigint',
        'created_at': 'timestamptz',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as freshdesk_rating_id,
        {{ to_id('ticket_id') }} as freshdesk_ticket_id,
        -- 103 extremely happy ... 100 neutral ... -103 extremely unhappy
        {{ to_integer('ratings__default_question') }} as rating,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'freshdesk_rating_id', 'updated_at desc nulls last, dlt_load_id desc') }}
