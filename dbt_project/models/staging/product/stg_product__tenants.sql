with source as (
    select * from {{ source_or_empty('product', 'tenants', {
        'tenant_id': 'varchar',
        'name': 'varchar',
        'signup_email': 'varchar',
        'created_at': 'timestamptz',
        'crm_account_id': 'varchar',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('tenant_id') }} as tenant_id,
        name as tenant_name,
        signup_email,
        {{ to_utc_timestamp('created_at') }} as created_at,
        nullif(trim(crm_account_id), '') as crm_account_id,
        _dlt_load_id as dlt_load_id
    from source
    where tenant_id is not null
)

{{ dedupe('renamed', 'tenant_id', 'dlt_load_id desc') }}
