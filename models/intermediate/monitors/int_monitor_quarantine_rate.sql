with

monitored_lines as (
    select * from {{ ref('int_monitored_lines') }}
),

monitored_batches as (
    select * from {{ ref('int_monitored_batches') }}
),

quarantine_rate as (
    select
        'quarantine_rate' as monitor_name,
        count_if(monitored_lines.quarantine_reason is not null)
        / nullif(count(monitored_lines.line_id), 0) as measured_value,
        {{ var('dq_quarantine_rate_warn') }} as warn_threshold,
        {{ var('dq_quarantine_rate_fail') }} as fail_threshold,
        case
            when monitored_batches.first_batch_id is null then monitored_batches.batch_label
            else
                format_number(count_if(monitored_lines.quarantine_reason is not null), 0)
                || ' of ' || format_number(count(monitored_lines.line_id), 0) || ' lines of '
                || monitored_batches.batch_label || ' quarantined'
        end as explanation
    -- One row even when no batch is judged.
    from monitored_batches
    left join monitored_lines
        on true
    group by
        monitored_batches.first_batch_id,
        monitored_batches.batch_label
)

select * from quarantine_rate
