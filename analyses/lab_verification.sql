-- The lab's check of its result: requests in network_filter per status description.
select
    status_description,
    count(*) as request_count
from {{ ref('network_filter') }}
group by status_description
order by request_count desc
