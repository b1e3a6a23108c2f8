-- Reconciliation: every distinct bronze line (by line_id) lands in exactly one of the
-- requests and the quarantine, and neither holds a line bronze does not have. Returns the
-- offending line ids with where they were found.
--
-- Reads the lines of the batches after the tested mark (every line on a full check; see
-- new_rows_scope): each must be placed exactly once, wherever it was placed (a replay of
-- an older line is placed in an older batch), and every request or quarantined line of
-- those batches must be among them. Requests are read from the oldest event date of the
-- new lines on (a line's date follows from its text), the quarantine by line id.
with

new_line_ids as (
    select distinct line_id
    from {{ ref('stg_apache_logs__lines') }}
    where {{ is_in_new_batches('ingest_batch_id') }}
),

requests as (
    select
        request_id as line_id,
        ingest_batch_id
    from {{ ref('int_access_requests_deduplicated') }}
    {%- if tested_through_batch() > 0 %}
    -- min() passes over the quarantined lines: they have no date.
    where event_date >= {{ oldest_new_date('event_date', ref('stg_apache_logs__lines'), tested_through_batch()) }}
    {%- endif %}
),

quarantined as (
    select
        line_id,
        ingest_batch_id
    from {{ ref('access_log_quarantine') }}
    where
        {{ is_in_new_batches('ingest_batch_id') }}
        or line_id in (select new_line_ids.line_id from new_line_ids)
),

placed as (
    select * from requests
    union all
    select * from quarantined
),

placements as (
    select
        coalesce(new_line_ids.line_id, placed.line_id) as line_id,
        count(placed.line_id) as placement_count,
        max(case when new_line_ids.line_id is null then 1 else 0 end) as not_in_bronze
    from new_line_ids
    full outer join placed
        on new_line_ids.line_id = placed.line_id
    where
        new_line_ids.line_id is not null
        or {{ is_in_new_batches('placed.ingest_batch_id') }}
    group by coalesce(new_line_ids.line_id, placed.line_id)
)

select * from placements
where placement_count != 1 or not_in_bronze = 1
