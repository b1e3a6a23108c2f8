-- The lab's overview: all requests by status description and class, most frequent first.
select
    status_class,
    status_description,
    request_count
from {{ ref('requests_by_status') }}
order by request_count desc
