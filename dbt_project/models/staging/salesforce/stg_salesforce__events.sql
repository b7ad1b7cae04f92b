with source as (
    select * from {{ source_or_empty('salesforce', 'events', {
        'id': 'varchar',
        'who_id': 'varchar',
        'what_id': 'varchar',
        'account_id': 'varchar',
        'owner_id': 'varchar',
        'subject': 'varchar',
        'type': 'varchar',
        'event_subtype': 'varchar',
        'start_date_time': 'timestamptz',
        'end_date_time': 'timestamptz',
        'activity_date': 'varchar',
        'duration_in_minutes': 'bigint',
        'created_date': 'timestamptz',
        'system_modstamp': 'timestamptz',
        'is_deleted': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_event_id,
        {{ to_id('account_id') }} as salesforce_account_id,
        {{ to_id('what_id') }} as what_id,
        {{ to_id('who_id') }} as who_id,
        {{ to_id('owner_id') }} as owner_user_id,
        subject,
        type as event_type,
        event_subtype,
        {{ to_utc_timestamp('start_date_time') }} as starts_at,
        {{ to_utc_timestamp('end_date_time') }} as ends_at,
        {{ to_date('activity_date') }} as activity_date,
        {{ to_integer('duration_in_minutes') }} as duration_minutes,
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_flag('is_deleted') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'salesforce_event_id', 'modified_at desc nulls last, dlt_load_id desc') }}
