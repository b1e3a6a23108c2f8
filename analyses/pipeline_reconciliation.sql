-- Where the lines went: raw lines read, distinct lines, requests, quarantined lines and the
-- network_filter rows. Distinct lines = requests + quarantined, always.
with

raw_lines as (
    select
        count(*) as raw_line_count,
        count(distinct line_id) as distinct_line_count
    from {{ ref('stg_apache_logs__lines') }}
),

requests as (
    select count(*) as request_count from {{ ref('int_access_requests_deduplicated') }}
),

quarantined as (
    select count(*) as quarantined_line_count from {{ ref('access_log_quarantine') }}
),

network_filter as (
    select count(*) as network_filter_count from {{ ref('network_filter') }}
)

select
    raw_lines.raw_line_count,
    raw_lines.distinct_line_count,
    requests.request_count,
    quarantined.quarantined_line_count,
    network_filter.network_filter_count
from raw_lines
cross join requests
cross join quarantined
cross join network_filter
