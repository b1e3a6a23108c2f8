with

monitored_lines as (
    select * from {{ ref('int_monitored_lines') }}
),

judged_batches as (
    select
        min(ingest_batch_id) as first_batch_id,
        max(ingest_batch_id) as last_batch_id
    from monitored_lines
),

labelled as (
    select
        first_batch_id,
        last_batch_id,
        -- Batch ids are consecutive, so a range names every batch judged.
        case
            when first_batch_id is null
                then 'no ingest batch since the last build'
            when first_batch_id = last_batch_id
                then 'ingest batch ' || cast(first_batch_id as string)
            else
                'ingest batches ' || cast(first_batch_id as string)
                || '-' || cast(last_batch_id as string)
        end as batch_label
    from judged_batches
)

select * from labelled
