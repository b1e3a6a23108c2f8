-- Reconciliation: every distinct bronze line (by line_id) lands in exactly one of the
-- requests and the quarantine, and neither holds a line bronze does not have.
-- Returns the offending line ids with where they were found.
with

raw_lines as (
    select distinct line_id from {{ ref('stg_apache_logs__lines') }}
),

requests as (
    select request_id as line_id from {{ ref('int_access_requests_deduplicated') }}
),

quarantined as (
    select line_id from {{ ref('access_log_quarantine') }}
),

placed as (
    select line_id from requests
    union all
    select line_id from quarantined
),

placements as (
    select
        coalesce(raw_lines.line_id, placed.line_id) as line_id,
        count(placed.line_id) as placement_count,
        max(case when raw_lines.line_id is null then 1 else 0 end) as not_in_bronze
    from raw_lines
    full outer join placed
        on raw_lines.line_id = placed.line_id
    group by coalesce(raw_lines.line_id, placed.line_id)
)

select * from placements
where placement_count != 1 or not_in_bronze = 1
