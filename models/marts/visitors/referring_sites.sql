{#
    Requests and visitors per site, UTC day and referring host. The host is read once per
    distinct referrer and joined back; a referrer on the site itself (its name or
    var('site_hosts')) and a request without one (`-`) are kept apart by referrer_kind, so
    the referring sites are the `external` rows. Incremental: a run recomputes the days its
    new batches touch (macros/visitors).
#}
{{
    config(
        unique_key=['site', 'event_date', 'referring_host'],
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
        referer,
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

visitor_referrers as (
    select
        site,
        event_date,
        referer,
        client_host,
        user_agent,
        count(*) as requests,
        max(ingest_batch_id) as ingest_batch_id
    from day_requests
    group by
        site,
        event_date,
        referer,
        client_host,
        user_agent
),

referers as (
    select distinct referer
    from visitor_referrers
    where referer is not null
),

-- The host of an absolute URL (after the scheme and any user info, before a port, path,
-- query or fragment), in lower case; text that is no such URL is kept whole.
referer_hosts as (
    select
        referer,
        coalesce(
            nullif(
                lower(
                    regexp_extract(
                        referer,
                        '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]*)',
                        1
                    )
                ),
                ''
            ),
            referer
        ) as referring_host
    from referers
),

visitor_hosts as (
    select
        visitor_referrers.site,
        visitor_referrers.event_date,
        coalesce(referer_hosts.referring_host, '-') as referring_host,
        visitor_referrers.client_host,
        visitor_referrers.user_agent,
        sum(visitor_referrers.requests) as requests,
        max(visitor_referrers.ingest_batch_id) as ingest_batch_id
    from visitor_referrers
    left join referer_hosts
        on visitor_referrers.referer = referer_hosts.referer
    group by
        visitor_referrers.site,
        visitor_referrers.event_date,
        coalesce(referer_hosts.referring_host, '-'),
        visitor_referrers.client_host,
        visitor_referrers.user_agent
),

host_days as (
    select
        site,
        event_date,
        referring_host,
        sum(requests) as requests,
        count(*) as visitors,
        max(ingest_batch_id) as ingest_batch_id
    from visitor_hosts
    group by
        site,
        event_date,
        referring_host
),

final as (
    select
        -- ids
        site,
        event_date,
        referring_host,

        -- kind
        case
            when referring_host = '-' then 'none'
            when {{ is_self_referral('site', 'referring_host') }} then 'self'
            else 'external'
        end as referrer_kind,

        -- measures
        requests,
        visitors,

        -- lineage
        ingest_batch_id
    from host_days
)

select * from final
