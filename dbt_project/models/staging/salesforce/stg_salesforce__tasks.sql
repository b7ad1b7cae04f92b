with source as (
    select * from {{ source_or_empty('salesforce', 'tasks', {
        'id': 'varchar',
        'who_id': 'varchar',
        'what_id': 'varchar',
        'account_id': 'varchar',
        'owner_id': 'varchar',
        'subject': 'varchar',
        'type': 'varchar',
        'task_subtype': 'varchar',
        'status': 'varchar',
        'activity_date': 'varchar',
        'completed_date_time': 'timestamptz',
        'created_date': 'timestamptz',
        'system_modstamp': 'timestamptz',
        'is_deleted': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as salesforce_task_id,
        {{ to_id('account_id') }} as salesforce_account_id,
        {{ to_id('what_id') }} as what_id,
        {{ to_id('who_id') }} as who_id,
        {{ to_id('owner_id') }} as owner_user_id,
        subject,
        type as task_type,
        task_subtype,
        status,
        {{ to_date('activity_date') }} as activity_date,
        {{ to_utc_timestamp('completed_date_time') }} as completed_at,
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_flag('is_deleted') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'salesforce_task_id', 'modified_at desc nulls last, dlt_load_id desc') }}
