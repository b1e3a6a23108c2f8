{#
    Requests per site and tumbling event-time window. A run recomputes only the windows that
    can have changed: those holding requests of the batches it merges (a late request
    recomputes its own window, final or not) and those not final yet (the watermark may
    have passed them). Final windows without new requests are left as they are.
#}
{{
    config(
        unique_key=['site', 'window_start'],
    )
}}
{%- set window_seconds = traffic_window_seconds() -%}
{%- set incremental_run = reads_stored_rows() -%}
{%- set oldest_window_epoch = none -%}
{%- if incremental_run -%}
    {%- set oldest_window_epoch = oldest_recomputed_window_epoch(
        ref('int_access_requests_deduplicated'), stored_windows(this)
    ) -%}
{%- endif %}

with

requests as (
    select
        *,
        {{ event_window_start_epoch('event_epoch_seconds') }} as window_start_epoch
    from {{ ref('int_access_requests_deduplicated') }}
    {% if oldest_window_epoch is not none -%}
        -- Only the requests of the windows this run can recompute, new ones included.
        where event_epoch_seconds >= {{ oldest_window_epoch }}
    {%- endif %}
),

new_requests as (
    select *
    from requests
    -- Batches already counted are skipped; a full build counts every batch.
    where {{ is_after_last_merged_batch('ingest_batch_id') }}
),

{% if incremental_run %}
stored_windows as (
    select
        site,
        unix_seconds(window_start) as window_start_epoch,
        last_event_at,
        is_final
    from {{ this }}
),
{% endif %}

-- The watermark runs a fixed delay behind each site's newest event: stored windows know
-- that event up to the last run, the new requests bring the rest.
site_watermarks as (
    select
        site,
        max(event_at) - make_dt_interval(
            0, 0, {{ var('traffic_watermark_delay_minutes') }}
        ) as watermark_at
    from (
        select
            site,
            event_at
        from new_requests
        {% if incremental_run %}
            union all
            select
                site,
                last_event_at as event_at
            from stored_windows
        {% endif %}
    ) as site_events
    group by site
),

touched_windows as (
    select distinct
        site,
        window_start_epoch
    from new_requests
    {% if incremental_run %}
        union
        select
            site,
            window_start_epoch
        from stored_windows
        where not is_final
    {% endif %}
),

window_requests as (
    select requests.*
    from requests
    inner join touched_windows
        on
            requests.site = touched_windows.site
            and requests.window_start_epoch = touched_windows.window_start_epoch
),

windows as (
    select
        site,
        window_start_epoch,
        count(*) as request_count,
        sum(content_size_bytes) as bytes_sent,
        count(distinct client_host) as distinct_client_hosts,
        count_if(response_code between 400 and 499) as status_4xx_count,
        count_if(response_code between 500 and 599) as status_5xx_count,
        max(event_at) as last_event_at,
        max(ingest_batch_id) as ingest_batch_id
    from window_requests
    group by
        site,
        window_start_epoch
),

final as (
    select
        -- ids
        windows.site,
        timestamp_seconds(windows.window_start_epoch) as window_start,
        timestamp_seconds(windows.window_start_epoch + {{ window_seconds }}) as window_end,

        -- measures
        windows.request_count,
        windows.bytes_sent,
        windows.distinct_client_hosts,
        windows.status_4xx_count,
        windows.status_5xx_count,

        -- watermark
        timestamp_seconds(windows.window_start_epoch + {{ window_seconds }})
        <= site_watermarks.watermark_at as is_final,
        windows.last_event_at,

        -- lineage
        windows.ingest_batch_id
    from windows
    inner join site_watermarks
        on windows.site = site_watermarks.site
)

select * from final
