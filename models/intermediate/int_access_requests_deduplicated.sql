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

ranked as (
    select
        *,
        {{ replay_rank('line_id') }} as replay_rank
    from parsed_lines
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
    from ranked
    where replay_rank = 1
)

select * from final
