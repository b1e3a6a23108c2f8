with

requests as (
    select * from {{ ref('int_access_requests_deduplicated') }}
),

http_status_codes as (
    select * from {{ ref('http_status_codes') }}
),

joined as (
    select
        -- ids
        requests.request_id,

        -- request
        requests.client_host,
        requests.client_identity,
        requests.client_user,
        requests.http_method,
        requests.endpoint,
        requests.protocol,
        requests.response_code,
        requests.content_size_bytes,
        requests.referer,
        requests.user_agent,

        -- status
        {{ status_description('requests.response_code', 'http_status_codes.description') }}
            as status_description,
        {{ status_class('requests.response_code', 'http_status_codes.status_class') }}
            as status_class,
        http_status_codes.code is not null as is_registered_status,

        -- timestamps
        requests.timestamp_text,
        requests.event_epoch_seconds,
        requests.event_at,
        requests.event_date,

        -- lineage
        requests.site,
        requests.source_file,
        requests.line_number,
        requests.line_occurrence,
        requests.ingest_batch_id,
        requests.ingested_at
    from requests
    -- The seed keeps codes as text, the logs carry integers: the key is cast explicitly,
    -- as in every join with the seed.
    left join http_status_codes
        on requests.response_code = cast(http_status_codes.code as int)
)

select * from joined
