-- Records the ingestion quarantined instead of loading (raw_<source>._rejected_records),
-- from every source in one place, so a data problem shows in the warehouse.

{%- set sources = ['product', 'salesforce', 'hubspot', 'zendesk', 'freshdesk', 'surveys', 'delighted', 'typeform',
                   'training', 'skilljar', 'thinkific'] %}

with rejected as (
    {%- for source_name in sources %}
    select
        '{{ source_name }}' as source_system,
        resource,
        cast(record as {{ dbt.type_string() }}) as record,
        reason,
        {{ to_utc_timestamp('rejected_at') }} as rejected_at,
        _dlt_load_id as dlt_load_id
    from {{ source_or_empty(source_name, 'rejected_records', {
        'resource': 'varchar',
        'record': 'varchar',
        'reason': 'varchar',
        'rejected_at': 'timestamptz',
    }) }} as raw_{{ source_name }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select distinct
    md5(concat_ws('|', source_system, resource, record, reason, cast(rejected_at as {{ dbt.type_string() }}), dlt_load_id))
        as rejected_record_key,
    *
from rejected
