{#
    Visitors, requests and bytes per site and UTC day, in all and split into people and
    crawlers. Added up from requests_by_agent: every visitor (a host with one agent) has
    exactly one agent class, so a day's visitors are the sum of its classes' visitors.
    Incremental: a run recomputes the days requests_by_agent recomputed since.
#}
{{
    config(
        unique_key=['site', 'event_date'],
    )
}}
{%- set incremental_run = reads_stored_rows() %}

with

agent_days as (
    select * from {{ ref('requests_by_agent') }}
),

{% if incremental_run %}
touched_days as (
    select distinct
        site,
        event_date
    from agent_days
    where {{ is_after_last_merged_batch('ingest_batch_id') }}
),
{% endif %}

day_classes as (
    select agent_days.*
    from agent_days
    {% if incremental_run -%}
        -- A full build takes every day; a run, the days requests_by_agent recomputed.
        inner join touched_days
            on
                agent_days.site = touched_days.site
                and agent_days.event_date = touched_days.event_date
    {%- endif %}
),

final as (
    select
        -- ids
        site,
        event_date,

        -- all clients
        sum(visitors) as visitors,
        sum(requests) as requests,
        sum(bytes_sent) as bytes_sent,

        -- people: clients no bot rule matches
        coalesce(sum(case when not is_bot then visitors end), 0) as human_visitors,
        coalesce(sum(case when not is_bot then requests end), 0) as human_requests,
        coalesce(sum(case when not is_bot then bytes_sent end), 0) as human_bytes_sent,

        -- crawlers
        coalesce(sum(case when is_bot then visitors end), 0) as crawler_visitors,
        coalesce(sum(case when is_bot then requests end), 0) as crawler_requests,
        coalesce(sum(case when is_bot then bytes_sent end), 0) as crawler_bytes_sent,

        -- lineage
        max(ingest_batch_id) as ingest_batch_id
    from day_classes
    group by
        site,
        event_date
)

select * from final
