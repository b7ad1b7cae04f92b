with source as (
    select * from {{ source_or_empty('hubspot', 'notes', {
        'id': 'varchar',
        'company_id': 'varchar',
        'contact_id': 'varchar',
        'hubspot_owner_id': 'varchar',
        'hs_timestamp': 'timestamptz',
        'hs_note_body': 'varchar',
        'hs_createdate': 'timestamptz',
        'hs_lastmodifieddate': 'timestamptz',
        'archived': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as hubspot_note_id,
        {{ to_id('company_id') }} as hubspot_company_id,
        {{ to_id('contact_id') }} as hubspot_contact_id,
        {{ to_id('hubspot_owner_id') }} as hubspot_owner_id,
        {{ to_utc_timestamp('hs_timestamp') }} as occurred_at,
        hs_note_body as body,
        {{ to_utc_timestamp('hs_createdate') }} as created_at,
        {{ to_utc_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ to_flag('archived') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'hubspot_note_id', 'modified_at desc nulls last, dlt_load_id desc') }}
