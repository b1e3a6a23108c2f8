with

requests as (
    select * from {{ ref('int_access_requests_enriched') }}
),

summarized as (
    select
        status_description,
        status_class,
        response_code,
        is_registered_status,
        count(*) as request_count,
        sum(content_size_bytes) as content_size_bytes
    from requests
    group by
        status_description,
        status_class,
        response_code,
        is_registered_status
)

select * from summarized
