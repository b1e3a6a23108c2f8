{#
    Requests and visitors per site, UTC day and class of user agent. A visitor is a client
    host with one user agent (as GoAccess counts one); a request without an agent counts by
    its host alone. The agent is classified by classify_user_agent, called once per distinct
    agent of the days recomputed and joined back, so its cost follows distinct agents.
    Incremental: a run recomputes the days its new batches touch (macros/visitors).
#}
{{
    config(
        unique_key=[
            'site', 'event_date', 'browser_family', 'os_family', 'device_class', 'is_bot',
        ],
    )
}}
{%- set oldest_touched_date = oldest_touched_event_date(
    ref('int_access_requests_deduplicated')
) %}

with

requests as (
    select
        site,
        event_date,
        client_host,
        user_agent,
        content_size_bytes,
        ingest_batch_id
    from {{ ref('int_access_requests_deduplicated') }}
    {% if oldest_touched_date is not none -%}
        -- Only the days this run can recompute, new requests included.
        where event_date >= {{ oldest_touched_date }}
    {%- endif %}
),

{% if oldest_touched_date is not none %}
touched_days as (
    select distinct
        site,
        event_date
    from requests
    where {{ is_after_last_merged_batch('ingest_batch_id') }}
),
{% endif %}

day_requests as (
    select requests.*
    from requests
    {% if oldest_touched_date is not none -%}
        -- A full build takes every day; a run, the days its new batches touch.
        inner join touched_days
            on
                requests.site = touched_days.site
                and requests.event_date = touched_days.event_date
    {%- endif %}
),

visitors as (
    select
        site,
        event_date,
        client_host,
        user_agent,
        count(*) as requests,
        sum(content_size_bytes) as bytes_sent,
        max(ingest_batch_id) as ingest_batch_id
    from day_requests
    group by
        site,
        event_date,
        client_host,
        user_agent
),

agents as (
    select distinct user_agent
    from visitors
),

classified_agents as (
    select
        user_agent,
        {{ function('classify_user_agent') }}(user_agent) as agent_class
    from agents
),

classified_visitors as (
    select
        visitors.site,
        visitors.event_date,
        -- the struct's fields, named as they are
        classified_agents.agent_class.browser_family,
        classified_agents.agent_class.os_family,
        classified_agents.agent_class.device_class,
        classified_agents.agent_class.is_bot,
        visitors.requests,
        visitors.bytes_sent,
        visitors.ingest_batch_id
    from visitors
    -- Null-safe: requests without an agent are one class of their own.
    inner join classified_agents
        on visitors.user_agent <=> classified_agents.user_agent
),

final as (
    select
        -- ids
        site,
        event_date,
        browser_family,
        os_family,
        device_class,
        is_bot,

        -- measures
        sum(requests) as requests,
        count(*) as visitors,
        sum(bytes_sent) as bytes_sent,

        -- lineage
        max(ingest_batch_id) as ingest_batch_id
    from classified_visitors
    group by
        site,
        event_date,
        browser_family,
        os_family,
        device_class,
        is_bot
)

select * from final
