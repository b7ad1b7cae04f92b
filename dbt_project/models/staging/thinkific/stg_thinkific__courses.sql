with source as (
    select * from {{ source_or_empty('thinkific', 'courses', {
        'id': 'bigint',
        'name': 'varchar',
        'slug': 'varchar',
        'keywords': 'varchar',
        'product_id': 'bigint',
    }) }} as raw
),

renamed as (
    select
        {{ to_id('id') }} as course_id,
        name as course_name,
        slug as course_slug,
        lower(keywords) as course_keywords,
        {{ to_id('product_id') }} as product_id,
        _dlt_load_id as dlt_load_id
    from source
    where id is not null
)

{{ dedupe('renamed', 'course_id', 'dlt_load_id desc') }}
