with source as (
    select * from {{ source_or_empty('hubspot', 'deals', {
        'id': 'varchar',
        'company_id': 'varchar',
        'dealname': 'varchar',
        'dealtype': 'varchar',
        'dealstage': 'varchar',
        'pipeline': 'varchar',
        'amount': 'varchar',
        'closedate': 'timestamptz',
        'contract_start_date': 'varchar',
        'contract_end_date': 'varchar',
        'mrr': 'varchar',
        'seats': 'varchar',
        'plan': 'varchar',
        'createdate': 'timestamptz',
        'hs_lastmodifieddate': 'timestamptz',
        'archived': 'boolean',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as hubspot_deal_id,
        {{ to_id('company_id') }} as hubspot_company_id,
        dealname as deal_name,
        dealtype as deal_type,
        dealstage as deal_stage,
        pipeline,
        {{ to_money('amount') }} as amount,
        {{ to_utc_timestamp('closedate') }} as closed_at,
        {{ to_date('contract_start_date') }} as contract_start_date,
        {{ to_date('contract_end_date') }} as contract_end_date,
        {{ to_money('mrr') }} as mrr,
        {{ to_integer('seats') }} as seats,
        plan,
        {{ to_utc_timestamp('createdate') }} as created_at,
        {{ to_utc_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ to_flag('archived') }} as is_deleted,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'hubspot_deal_id', 'modified_at desc nulls last, dlt_load_id desc') }}
