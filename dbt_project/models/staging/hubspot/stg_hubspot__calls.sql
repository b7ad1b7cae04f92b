with source as (
    select * from {{ source_or_empty('hubspot', 'calls', {
        'id': 'varchar',
        'company_id': 'varchar',
        'contact_id': 'varchar',
        'hubspot_owner_id': 'varchar',
        'hs_timestamp': 'timestamptz',
        'hs_call_title': 'varchar',
        'hs_call_direction': 'varchar',
        'hs_call_status': 'varchar',
        'hs_call_duration': 'varchar',
        'hs_createdate': 'timestamptz',
        'hs_lastmodifieddate': 'timestamptz',
        'archived': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as hubspot_call_id,
        {{ to_id('company_id') }} as hubspot_company_id,
        {{ to_id('contact_id') }} as hubspot_contact_id,
        {{ to_id('hubspot_owner_id') }} as hubspot_owner_id,
        {{ to_utc_timestamp('hs_timestamp') }} as occurred_at,
        hs_call_title as title,
        hs_call_direction as direction,
        hs_call_status as call_status,
        {{ to_integer('hs_call_duration') }} as duration_ms,
        {{ to_utc_timestamp('hs_createdate') }} as created_at,
        {{ to_utc_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ to_flag('archived') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'hubspot_call_id', 'modified_at desc nulls last, dlt_load_id desc') }}
