with

requests as (
    select * from {{ ref('int_access_requests_enriched') }}
),

filtered as (
    select
        -- ids
        request_id,

        -- request
        site,
        client_host,
        http_method,
        endpoint,
        protocol,
        response_code,
        status_description,
        content_size_bytes,
        referer,
        user_agent,

        -- timestamps
        event_at,
        event_date
    from requests
    where
        response_code = 200
        and content_size_bytes > 100
)

select * from filtered
