-- network_filter holds exactly the requests with response_code = 200 and more than 100
-- bytes, each as int_access_requests_enriched describes it now (a merged mart must equal
-- a rebuild). Returns each row found on one side only, with the side.
--
-- Reads the requests from the oldest event date of the batches after the tested mark on
-- (every request on a full check; see new_rows_scope): a request's date follows from its
-- line, so every row a new request could clash with is read. The requests are read from
-- int_access_requests_deduplicated's ref so that it is built before this test runs.
{%- set columns = [
    'request_id', 'site', 'client_host', 'http_method', 'endpoint', 'protocol',
    'response_code', 'status_description', 'content_size_bytes', 'referer', 'user_agent',
    'event_at', 'event_date',
] %}

{%- set requests = ref('int_access_requests_deduplicated') %}
{%- set since = 'true' %}
{%- if tested_through_batch() > 0 %}
    {%- set since = 'event_date >= '
        ~ oldest_new_date('event_date', requests, tested_through_batch()) %}
{%- endif %}

with

qualifying_requests as (
    select {{ columns | join(', ') }}
    from {{ ref('int_access_requests_enriched') }}
    where
        response_code = 200
        and content_size_bytes > 100
        and {{ since }}
),

published as (
    select {{ columns | join(', ') }}
    from {{ ref('network_filter') }}
    where {{ since }}
),

-- Set differences: a request in network_filter twice is the unique test's to find.
missing as (
    select * from qualifying_requests
    except
    select * from published
),

unexpected as (
    select * from published
    except
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
