with source as (
    select * from {{ source_or_empty('zendesk', 'ticket_metrics', {
        'id': 'bigint',
        'ticket_id': 'bigint',
        'created_at': 'timestamptz',
        'updated_at': 'timestamptz',
        'reply_time_in_minutes__calendar': 'bigint',
        'full_resolution_time_in_minutes__calendar': 'bigint',
        'solved_at': 'timestamptz',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as zendesk_ticket_metric_id,
        {{ to_id('ticket_id') }} as zendesk_ticket_id,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_integer('reply_time_in_minutes__calendar') }} as reply_time_minutes,
        {{ to_integer('full_resolution_time_in_minutes__calendar') }} as full_resolution_time_minutes,
        {{ to_utc_timestamp('solved_at') }} as solved_at,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
        and ticket_id is not null
)

-- one metric set per ticket: the latest
{{ dedupe('renamed', 'zendesk_ticket_id', 'updated_at desc nulls last, dlt_load_id desc, zendesk_ticket_metric_id desc') }}
