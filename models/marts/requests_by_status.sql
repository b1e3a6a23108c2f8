with

batch_counts as (
    select * from {{ ref('int_request_tallies_by_batch') }}
),

http_status_codes as (
    select * from {{ ref('http_status_codes') }}
),

totals as (
    select
        response_code,
        sum(request_count) as request_count,
        sum(content_size_bytes) as content_size_bytes
    from batch_counts
    group by response_code
),

described as (
    select
        {{ status_description('totals.response_code', 'http_status_codes.description') }}
            as status_description,
        {{ status_class('totals.response_code', 'http_status_codes.status_class') }}
            as status_class,
        totals.response_code,
        http_status_codes.code is not null as is_registered_status,
        totals.request_count,
        totals.content_size_bytes
    from totals
    left join http_status_codes
        on totals.response_code = cast(http_status_codes.code as int)
)

select * from described
