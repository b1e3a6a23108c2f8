with

requests as (
    select * from {{ ref('int_access_requests_deduplicated') }}
),

monitored_batches as (
    select * from {{ ref('int_monitored_batches') }}
),

earlier_requests as (
    select
        requests.http_method,
        -- A request without a protocol counts as the protocol '(none)'.
        coalesce(requests.protocol, '(none)') as protocol_label
    from requests
    inner join monitored_batches
        on requests.ingest_batch_id < monitored_batches.first_batch_id
)

select * from earlier_requests
