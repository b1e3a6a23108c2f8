-- network_filter holds exactly the requests with response_code = 200 and more than 100
-- bytes, each as int_access_requests_enriched describes it now (a merged mart must equal
-- a rebuild). Returns each row found on one side only, with the side.
--
-- Reads the requests from the oldest event date of the batches after the tested mark on
-- (every request on a full check; see new_rows_scope): a request's date follows from its
-- line, so every row a new request could clash with is read.
{%- set columns = [
    'request_id', 'site', 'client_host', 'http_method', 'endpoint', 'protocol',
    'response_code', 'status_description', 'content_size_bytes', 'referer', 'user_agent',
    'event_at', 'event_date',
] %}

with

oldest_new_event as (
    select min(event_date) as event_date
    from {{ ref('int_access_requests_deduplicated') }}
    where {{ is_in_new_batches('ingest_batch_id') }}
),

qualifying_requests as (
    select {{ columns | join(', ') }}
    from {{ ref('int_access_requests_enriched') }}
    where
        response_code = 200
        and content_size_bytes > 100
        and event_date >= (select oldest_new_event.event_date from oldest_new_event)
),

published as (
    select {{ columns | join(', ') }}
    from {{ ref('network_filter') }}
    where event_date >= (select oldest_new_event.event_date from oldest_new_event)
),

missing as (
    select * from qualifying_requests
    except all
    select * from published
),

unexpected as (
    select * from published
    except all
    select * from qualifying_requests
),

differences as (
    select
        'missing from network_filter' as problem,
        {{ 'missing.' ~ columns | join(', missing.') }}
    from missing
    union all
    select
        'not a qualifying request' as problem,
        {{ 'unexpected.' ~ columns | join(', unexpected.') }}
    from unexpected
)

select * from differences
