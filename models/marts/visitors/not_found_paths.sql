{#
    Every path a site answered 404 (Not Found): its requests, visitors and when it was
    first and last asked for. Incremental: a run recomputes the paths of the new 404
    requests it takes in, each from all its 404 requests; other paths are left as they are.
#}
{{
    config(
        unique_key=['site', 'endpoint'],
    )
}}
{%- set incremental_run = reads_stored_rows() %}

with

not_found_requests as (
    select
        site,
        -- A request of a method alone has no path: one key for all of them.
        coalesce(endpoint, '(none)') as endpoint,
        client_host,
        user_agent,
        event_at,
        ingest_batch_id
    from {{ ref('int_access_requests_deduplicated') }}
    where response_code = 404
),

{% if incremental_run %}
touched_paths as (
    select distinct
        site,
        endpoint
    from not_found_requests
    where {{ is_after_last_merged_batch('ingest_batch_id') }}
),
{% endif %}

path_requests as (
    select not_found_requests.*
    from not_found_requests
    {% if incremental_run -%}
        -- A full build takes every path; a run, the paths of its new 404 requests.
        inner join touched_paths
            on
                not_found_requests.site = touched_paths.site
                and not_found_requests.endpoint = touched_paths.endpoint
    {%- endif %}
),

visitors as (
    select
        site,
        endpoint,
        client_host,
        user_agent,
        count(*) as requests,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        max(ingest_batch_id) as ingest_batch_id
    from path_requests
    group by
        site,
        endpoint,
        client_host,
        user_agent
),

final as (
    select
        -- ids
        site,
        endpoint,

        -- measures
        sum(requests) as requests,
        count(*) as visitors,

        -- timestamps
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,

        -- lineage
        max(ingest_batch_id) as ingest_batch_id
    from visitors
    group by
        site,
        endpoint
)

select * from final
