{#
    Merged, not rebuilt: each build takes in the requests of the batches this table has not
    seen (the build state's mark), so its cost follows what is new. The merge on request_id
    reads stored rows back to the oldest incoming event date only (event_date follows from
    the request), and a request taken in again (a retried build, or every request after the
    status-code seed changed) is updated to what it is now: the rows always equal a full
    rebuild's.
#}
{{
    config(
        materialized='incremental',
        unique_key='request_id',
        merge_lower_bound_column='event_date',
        on_schema_change='fail',
    )
}}

with

requests as (
    select * from {{ ref('int_access_requests_enriched') }}
    where {{ is_after_built_mark('ingest_batch_id') }}
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
