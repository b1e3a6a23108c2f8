{{
    config(
        materialized='incremental',
        unique_key='line_id',
        skip_matched_step=true,
        on_schema_change='fail',
    )
}}

with

rejected_lines as (
    select staged_lines.*
    from {{ ref('stg_apache_logs__lines') }} as staged_lines
    where
        staged_lines.quarantine_reason is not null
        -- Batches already merged are skipped; replays in later batches meet their key.
        and {{ is_after_last_merged_batch('staged_lines.ingest_batch_id') }}
),

ranked as (
    select
        *,
        {{ replay_rank('line_id') }} as replay_rank
    from rejected_lines
),

final as (
    select
        -- ids
        line_id,

        -- why
        quarantine_reason,

        -- the line and where it came from
        site,
        line,
        line_encoding,
        source_file,
        line_number,
        line_occurrence,
        ingest_batch_id,
        ingested_at
    from ranked
    where replay_rank = 1
)

select * from final
