{#
    What requests_by_status adds up, counted once per batch: a batch's requests never change
    once merged (replays keep the first copy), so each batch is counted when it arrives and
    the summary reads one row per batch and status code instead of every request.
#}
{{
    config(
        materialized='incremental',
        unique_key=['ingest_batch_id', 'response_code'],
        skip_matched_step=true,
        on_schema_change='fail',
    )
}}

with

requests as (
    select
        ingest_batch_id,
        response_code,
        content_size_bytes
    from {{ ref('int_access_requests_deduplicated') }}
    where {{ is_after_last_merged_batch('ingest_batch_id') }}
),

counted as (
    select
        ingest_batch_id,
        response_code,
        count(*) as request_count,
        sum(content_size_bytes) as content_size_bytes
    from requests
    group by
        ingest_batch_id,
        response_code
)

select * from counted
