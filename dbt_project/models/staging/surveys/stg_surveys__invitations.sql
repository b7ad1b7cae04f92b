with source as (
    select * from {{ source_or_empty('surveys', 'invitations', {
        'id': 'varchar',
        'email': 'varchar',
        'survey': 'varchar',
        'sent_at': 'timestamptz',
        'updated_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as invitation_id,
        email,
        lower(survey) as survey,
        {{ to_utc_timestamp('sent_at') }} as sent_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'invitation_id', 'updated_at desc nulls last, dlt_load_id desc') }}
