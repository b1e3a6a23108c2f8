{{
    config(
        materialized='incremental',
        unique_key='request_id',
        skip_matched_step=true,
        merge_lower_bound_column='event_date',
        on_schema_change='fail',
    )
}}

with

parsed_lines as (
    select staged_lines.*
    from {{ ref('stg_apache_logs__lines') }} as staged_lines
    where
        staged_lines.quarantine_reason is null
        -- Batches already merged are skipped; replays in later batches meet their key.
        and {{ is_after_last_merged_batch('staged_lines.ingest_batch_id') }}
),

-- Replays (one line id twice) are rare: only ids that occur more than once are ranked,
-- found by a 64-bit hash of the id rather than by sorting every line (a hash collision
-- just ranks a few lines more).
repeated_ids as (
    select xxhash64(line_id) as line_key
    from parsed_lines
    group by xxhash64(line_id)
    having count(*) > 1
),

keyed as (
    select
        parsed_lines.*,
        repeated_ids.line_key is not null as may_be_replayed
    from parsed_lines
    left join repeated_ids
        on xxhash64(parsed_lines.line_id) = repeated_ids.line_key
),

ranked as (
    select
        *,
        {{ replay_rank('line_id') }} as replay_rank
    from keyed
    where may_be_replayed
),

first_copies as (
    select
        *,
        1 as replay_rank
    from keyed
    where not may_be_replayed
    union all
    select * from ranked
    where replay_rank = 1
),

final as (
    select
        -- ids
        line_id as request_id,

        -- request
        client_host,
        client_identity,
        client_user,
        http_method,
        endpoint,
        protocol,
        response_code,
        content_size_bytes,
        referer,
        user_agent,

        -- timestamps
        timestamp_text,
        event_epoch_seconds,
        event_at,
        event_date,

        -- lineage of the first copy seen
        site,
        source_file,
        line_number,
        line_occurrence,
        ingest_batch_id,
        ingested_at
    from first_copies
)

select * from final
