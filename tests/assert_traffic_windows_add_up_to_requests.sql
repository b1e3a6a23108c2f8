-- The windows of traffic_by_window hold every request exactly once: per site, and in all,
-- their request counts add up to the requests. Returns the sites (and `(all sites)`)
-- where the two disagree.
with

requests as (
    select
        site,
        count(*) as request_count
    from {{ ref('int_access_requests_deduplicated') }}
    group by site
),

windows as (
    select
        site,
        sum(request_count) as request_count
    from {{ ref('traffic_by_window') }}
    group by site
),

per_site as (
    select
        coalesce(requests.site, windows.site) as site,
        coalesce(requests.request_count, 0) as request_count,
        coalesce(windows.request_count, 0) as window_request_count
    from requests
    full outer join windows
        on requests.site = windows.site
),

all_sites as (
    select
        '(all sites)' as site,
        coalesce(sum(request_count), 0) as request_count,
        coalesce(sum(window_request_count), 0) as window_request_count
    from per_site
),

compared as (
    select * from per_site
    union all
    select * from all_sites
)

select * from compared
where request_count != window_request_count
