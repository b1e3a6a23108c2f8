{{ config(materialized='view') }}

with

requests as (
    select
        site,
        ingest_batch_id,
        event_at
    from {{ ref('int_access_requests_deduplicated') }}
),

batches as (
    select
        site,
        ingest_batch_id,
        max(event_at) as newest_event_at
    from requests
    group by
        site,
        ingest_batch_id
),

watermarks as (
    select
        site,
        ingest_batch_id,
        -- The newest event the site had before this batch, minus the lookback.
        max(newest_event_at) over (
            partition by site
            order by ingest_batch_id
            rows between unbounded preceding and 1 preceding
        ) - make_dt_interval({{ var('late_arrival_lookback_days') }}) as watermark_at
    from batches
),

late_requests as (
    select
        requests.site,
        requests.ingest_batch_id,
        watermarks.watermark_at,
        requests.event_at
    from requests
    inner join watermarks
        on
            requests.site = watermarks.site
            and requests.ingest_batch_id = watermarks.ingest_batch_id
    where requests.event_at < watermarks.watermark_at
),

final as (
    select
        site,
        ingest_batch_id,
        watermark_at,
        count(*) as late_request_count,
        min(event_at) as oldest_event_at,
        max(event_at) as newest_event_at
    from late_requests
    group by
        site,
        ingest_batch_id,
        watermark_at
)

select * from final
