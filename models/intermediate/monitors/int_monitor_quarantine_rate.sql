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
        sum(if(monitored_lines.is_quarantined, monitored_lines.line_count, 0))
        / sum(monitored_lines.line_count) as measured_value,
        {{ var('dq_quarantine_rate_warn') }} as warn_threshold,
        {{ var('dq_quarantine_rate_fail') }} as fail_threshold,
        case
            when monitored_batches.first_batch_id is null then monitored_batches.batch_label
            else
                format_number(
                    sum(if(monitored_lines.is_quarantined, monitored_lines.line_count, 0)), 0
                )
                || ' of ' || format_number(sum(monitored_lines.line_count), 0) || ' lines of '
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
