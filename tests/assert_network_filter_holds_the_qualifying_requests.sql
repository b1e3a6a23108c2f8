-- network_filter holds exactly the requests with response_code = 200 and more than 100
-- bytes, each as int_access_requests_enriched describes it now (a merged mart must equal
-- a rebuild). Returns each request found on one side only or differing, with the problem.
--
-- Reads the requests from the oldest event date of the batches after the tested mark on
-- (every request on a full check; see new_rows_scope): a request's date follows from its
-- line, so every row a new request could clash with is read. The requests are read from
-- int_access_requests_deduplicated's ref so that it is built before this test runs.
--
-- One join on request_id compares the two sides (a side without the request compares
-- unequal on request_id itself): two set differences over every column took about four
-- times as long and six times the memory on a million requests. Each side brings to the
-- join its request ids and one 64-bit hash of every compared column, with a mask of which
-- are null (the hash skips nulls): carrying the columns themselves held both sides' text
-- in memory, 3.3 GiB at 4M lines against under 2 GiB for every other node. Two rows that
-- differ pass only if their hashes collide, about one chance in 2^64 per request. A
-- request in network_filter twice is the unique test's to find.
{%- set columns = [
    'request_id', 'site', 'client_host', 'http_method', 'endpoint', 'protocol', 'response_code',
    'status_description', 'content_size_bytes', 'referer', 'user_agent', 'event_at',
    'event_date',
] %}

{#- Compared by hash; bit i of the mask says the i-th column is null. -#}
{%- set null_bits = [] %}
{%- for column in columns %}
    {%- do null_bits.append('if(' ~ column ~ ' is null, ' ~ 2 ** loop.index0 ~ ', 0)') %}
{%- endfor %}
{%- set row_hash = 'xxhash64(' ~ (columns | join(', ')) ~ ', ' ~ (null_bits | join(' + ')) ~ ')' %}

{%- set requests = ref('int_access_requests_deduplicated') %}
{%- set since = 'true' %}
{%- if tested_through_batch() > 0 %}
    {%- set since = 'event_date >= '
        ~ oldest_new_date('event_date', requests, tested_through_batch()) %}
{%- endif %}

with

qualifying_requests as (
    select
        request_id,
        {{ row_hash }} as row_hash
    from {{ ref('int_access_requests_enriched') }}
    where
        response_code = 200
        and content_size_bytes > 100
        and {{ since }}
),

published as (
    select
        request_id,
        {{ row_hash }} as row_hash
    from {{ ref('network_filter') }}
    where {{ since }}
),

compared as (
    select
        qualifying_requests.request_id as qualifying_request_id,
        published.request_id as published_request_id,
        qualifying_requests.row_hash <=> published.row_hash as is_same
    from qualifying_requests
    full outer join published
        on qualifying_requests.request_id = published.request_id
),

differences as (
    select
        coalesce(qualifying_request_id, published_request_id) as request_id,
        case
            when published_request_id is null then 'missing from network_filter'
            when qualifying_request_id is null then 'not a qualifying request'
            else 'differs from its request'
        end as problem
    from compared
    where not is_same
)

select * from differences
