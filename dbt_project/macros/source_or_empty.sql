{#
  A source table as a subquery with a fixed set of typed columns, even when the system is
  not connected. `cs360 run` skips a source whose credentials are absent, and dlt creates
  no table for it (and no column that was always null), so:

  * the table exists: its columns are selected; a listed column the table lacks becomes a
    typed NULL;
  * the table does not exist: a typed empty relation (`where false`).

  `source()` is still called, so lineage (dbt docs, Dagster) points at the raw table
  whether or not it exists. `_dlt_load_id` is always added.

      from {{ source_or_empty('zendesk', 'tickets', {'id': 'bigint', 'subject': 'varchar'}) }} as source
#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set source_relation = source(source_name, table_name) -%}
    {%- set all_columns = dict(columns) -%}
    {%- do all_columns.update({'_dlt_load_id': 'varchar'}) -%}
    {%- set existing = [] -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=source_relation.database,
            schema=source_relation.schema,
            identifier=source_relation.identifier) -%}
        {%- if relation is not none -%}
            {%- do found.append(relation) -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do existing.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    (
        select
        {%- for name, data_type in all_columns.items() %}
            {% if name | lower in existing -%}
                {{ adapter.quote(name) }}
            {%- else -%}
                cast(null as {{ portable_type(data_type) }})
            {%- endif %} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        {%- if found %}
        from {{ found[0] }}
        {%- else %}
        -- {{ source_relation }} does not exist (system not connected): typed empty relation
        where false
        {%- endif %}
    )
{%- endmacro %}

{#
  stg_product__events' pre-hook on an incremental run: its rows whose raw row (the same
  event_id of the same load) is gone from raw_product.events. One anti-join, no sort.
#}
{% macro withdrawn_events_delete() -%}
{%- set raw_events = source('product', 'events') -%}
{%- if is_incremental() and adapter.get_relation(raw_events.database, raw_events.schema, raw_events.identifier) %}
delete from {{ this }} as kept
where not exists (
    select 1
    from {{ raw_events }} as raw
    where {{ to_id('raw.event_id') }} = kept.event_id
        and raw._dlt_load_id = kept.dlt_load_id
)
{%- endif %}
{%- endmacro %}
