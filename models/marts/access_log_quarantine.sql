{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='line_id',
        skip_matched_step=true,
        on_schema_change='fail',
    )
}}

with

rejected_lines as (
    select * from {{ ref('stg_apache_logs__lines') }}
    where
        quarantine_reason is not null
        {% if is_incremental() -%}
        and ingest_batch_id > (select coalesce(max(ingest_batch_id), 0) from {{ this }})
        {%- endif %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by line_id
            order by ingest_batch_id, source_file, line_number
        ) as replay_rank
    from rejected_lines
),

final as (
    select
        -- ids
        line_id,

        -- why
        quarantine_reason,

        -- the line and where it came from
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
