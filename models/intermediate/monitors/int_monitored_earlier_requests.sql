with

batch_counts as (
    -- Counted per batch, method and protocol when each batch arrived: a few rows per
    -- batch, where reading the requests themselves grew with the history.
    select * from {{ ref('int_request_tallies_by_batch') }}
),

monitored_batches as (
    select * from {{ ref('int_monitored_batches') }}
),

earlier_requests as (
    select distinct
        batch_counts.http_method,
        batch_counts.protocol_label
    from batch_counts
    inner join monitored_batches
        on batch_counts.ingest_batch_id < monitored_batches.first_batch_id
)

select * from earlier_requests
