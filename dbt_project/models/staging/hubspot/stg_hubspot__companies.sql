with source as (
    select * from {{ source_or_empty('hubspot', 'companies', {
        'id': 'varchar',
        'name': 'varchar',
        'domain': 'varchar',
        'industry': 'varchar',
        'numberofemployees': 'varchar',
        'country': 'varchar',
        'customer_id': 'varchar',
        'hubspot_owner_id': 'varchar',
        'lifecyclestage': 'varchar',
        'customer_status': 'varchar',
        'createdate': 'timestamptz',
        'hs_lastmodifieddate': 'timestamptz',
        'archived': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as hubspot_company_id,
        name as company_name,
        domain,
        industry,
        {{ to_integer('numberofemployees') }} as employees,
        country,
        nullif(trim(customer_id), '') as customer_id,
        {{ to_id('hubspot_owner_id') }} as hubspot_owner_id,
        lifecyclestage as hubspot_lifecycle_stage,
        customer_status,
        {{ to_utc_timestamp('createdate') }} as created_at,
        {{ to_utc_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ to_flag('archived') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'hubspot_company_id', 'modified_at desc nulls last, dlt_load_id desc') }}
