-- Reconciliation per ingest batch, from bronze to the two tables that place its lines: the
-- raw lines of a batch are its requests, plus its quarantined lines, plus its replays (a
-- line placed already, by an earlier batch or earlier in the batch). Returns the batches
-- where the counts disagree, with each count. Reads the batches after the tested mark
-- (every batch on a full check; see new_rows_scope).
--
-- The raw lines are counted in bronze, the placed ones in the requests and the quarantine
-- by the batch they hold; only telling a replay from a new line needs the lines' ids, from
-- staging. So a line lost on any step from bronze to its table, or placed twice, changes
-- one side and not the other (assert_every_raw_line_parsed_or_quarantined names the line).
with

raw_lines as (
    select
        ingest_batch_id,
        count(*) as raw_line_count
    from {{ source('apache_logs', 'access_log_lines') }}
    where {{ is_in_new_batches('ingest_batch_id') }}
    group by ingest_batch_id
),

staged_lines as (
    select
        line_id,
        ingest_batch_id
    from {{ ref('stg_apache_logs__lines') }}
    where {{ is_in_new_batches('ingest_batch_id') }}
),

requests as (
    select
        request_id as line_id,
        ingest_batch_id,
        1 as is_request
    from {{ ref('int_access_requests_deduplicated') }}
    {%- if tested_through_batch() > 0 %}
    -- A request of a new batch, or one a new line replays, dates from a new line.
    where event_date >= {{ oldest_new_date('event_date', ref('stg_apache_logs__lines'), tested_through_batch()) }}
    {%- endif %}
),

quarantined as (
    select
        line_id,
        ingest_batch_id,
        0 as is_request
    from {{ ref('access_log_quarantine') }}
    where
        {{ is_in_new_batches('ingest_batch_id') }}
        or line_id in (
            select staged_lines.line_id from staged_lines
        )
),

placed_lines as (
    select * from requests
    union all
    select * from quarantined
),

placed_per_batch as (
    select
        ingest_batch_id,
        sum(is_request) as parsed_line_count,
        sum(1 - is_request) as quarantined_line_count
    from placed_lines
    where {{ is_in_new_batches('ingest_batch_id') }}
    group by ingest_batch_id
),

-- Per line, one aggregate over its copies in the new batches and its placements: the line
-- is new in the batch of its first copy unless an earlier batch placed it; every other
-- copy is a replay. Lines are keyed by a 64-bit hash of their id: on 500,000 lines a
-- process running this query peaked at 0.52 GB keyed by the 32-byte ids, 0.45 GB by the
-- hashes (0.33 GB for `select 1`, 0.34 GB for the staging-only test this replaced). Two
-- lines whose hashes collide count as one: among 4M lines, about one chance in two million
-- of a false failure; a lost line hides only behind a collision of its own, about one
-- chance in 10^12.
lines as (
    select
        line_key,
        min(case when is_copy = 1 then ingest_batch_id end) as first_copy_batch_id,
        min(case when is_copy = 0 then ingest_batch_id end) as placed_in_batch_id
    from (
        select
            xxhash64(line_id) as line_key,
            ingest_batch_id,
            1 as is_copy
        from staged_lines
        union all
        select
            xxhash64(line_id) as line_key,
            ingest_batch_id,
            0 as is_copy
        from placed_lines
    ) as copies_and_placements
    group by line_key
),

new_lines_per_batch as (
    select
        first_copy_batch_id as ingest_batch_id,
        count(*) as new_line_count
    from lines
    where
        first_copy_batch_id is not null
        and coalesce(placed_in_batch_id >= first_copy_batch_id, true)
    group by first_copy_batch_id
),

staged_per_batch as (
    select
        ingest_batch_id,
        count(*) as staged_line_count
    from staged_lines
    group by ingest_batch_id
),

replays_per_batch as (
    select
        staged_per_batch.ingest_batch_id,
        staged_per_batch.staged_line_count
        - coalesce(new_lines_per_batch.new_line_count, 0) as replayed_line_count
    from staged_per_batch
    left join new_lines_per_batch
        on staged_per_batch.ingest_batch_id = new_lines_per_batch.ingest_batch_id
),

batches as (
    select
        coalesce(raw_lines.ingest_batch_id, placed_per_batch.ingest_batch_id)
            as ingest_batch_id,
        coalesce(raw_lines.raw_line_count, 0) as raw_line_count,
        coalesce(placed_per_batch.parsed_line_count, 0) as parsed_line_count,
        coalesce(placed_per_batch.quarantined_line_count, 0)
            as quarantined_line_count
    from raw_lines
    full outer join placed_per_batch
        on raw_lines.ingest_batch_id = placed_per_batch.ingest_batch_id
),

reconciled as (
    select
        batches.*,
        coalesce(replays_per_batch.replayed_line_count, 0) as replayed_line_count
    from batches
    left join replays_per_batch
        on batches.ingest_batch_id = replays_per_batch.ingest_batch_id
)

select * from reconciled
where
    raw_line_count
    != parsed_line_count + quarantined_line_count + replayed_line_count
