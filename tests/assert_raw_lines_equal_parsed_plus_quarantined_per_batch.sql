-- Reconciliation per ingest batch: the raw lines of a batch are exactly its parsed lines
-- plus its quarantined lines. Returns the batches where the counts disagree. Reads the
-- batches after the tested mark (every batch on a full check; see new_rows_scope).
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
        ingest_batch_id,
        count_if(quarantine_reason is null) as parsed_line_count,
        count_if(quarantine_reason is not null) as quarantined_line_count
    from {{ ref('stg_apache_logs__lines') }}
    where {{ is_in_new_batches('ingest_batch_id') }}
    group by ingest_batch_id
),

reconciled as (
    select
        raw_lines.ingest_batch_id,
        raw_lines.raw_line_count,
        coalesce(staged_lines.parsed_line_count, 0) as parsed_line_count,
        coalesce(staged_lines.quarantined_line_count, 0) as quarantined_line_count
    from raw_lines
    left join staged_lines
        on raw_lines.ingest_batch_id = staged_lines.ingest_batch_id
)

select * from reconciled
where raw_line_count != parsed_line_count + quarantined_line_count
