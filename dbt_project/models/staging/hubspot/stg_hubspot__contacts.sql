with source as (
    select * from {{ source_or_empty('hubspot', 'contacts', {
        'id': 'varchar',
        'email': 'varchar',
        'firstname': 'varchar',
        'lastname': 'varchar',
        'jobtitle': 'varchar',
        'associatedcompanyid': 'varchar',
        'createdate': 'timestamptz',
        'lastmodifieddate': 'timestamptz',
        'archived': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as hubspot_contact_id,
        email,
        firstname as first_name,
        lastname as last_name,
        jobtitle as job_title,
        {{ to_id('associatedcompanyid') }} as hubspot_company_id,
        {{ to_utc_timestamp('createdate') }} as created_at,
        {{ to_utc_timestamp('lastmodifieddate') }} as modified_at,
        {{ to_flag('archived') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'hubspot_contact_id', 'modified_at desc nulls last, dlt_load_id desc') }}
