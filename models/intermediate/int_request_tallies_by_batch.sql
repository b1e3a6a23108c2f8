{#
    What requests_by_status and the data-drift monitors add up, counted once per batch: a
    batch's requests never change once merged (replays keep the first copy), so each batch
    is counted when it arrives, by status code, day, method and protocol, and the summary
    and the monitors read these few rows per batch instead of every request.
#}
{{
    config(
        materialized='incremental',
        unique_key=['ingest_batch_id', 'response_code', 'event_date', 'http_method', 'protocol_label'],
        skip_matched_step=true,
        on_schema_change='fail',
    )
}}

with

requests as (
    select
        ingest_batch_id,
        response_code,
        event_date,
        http_method,
        -- A request without a protocol counts as the protocol '(none)' (a merge key is
        -- never null: a null never matches, so a rerun would add its row again).
        coalesce(protocol, '(none)') as protocol_label,
        content_size_bytes
    from {{ ref('int_access_requests_deduplicated') }}
    where {{ is_after_last_merged_batch('ingest_batch_id') }}
),

counted as (
    select
        ingest_batch_id,
        response_code,
        event_date,
        http_method,
        protocol_label,
        count(*) as request_count,
        sum(content_size_bytes) as content_size_bytes
    from requests
    group by
        ingest_batch_id,
        response_code,
        event_date,
        http_method,
        protocol_label
)

select * from counted
