with

monitored_lines as (
    select * from {{ ref('int_monitored_lines') }}
),

monitored_batches as (
    select * from {{ ref('int_monitored_batches') }}
),

http_status_codes as (
    select * from {{ ref('http_status_codes') }}
),

judged_statuses as (
    select
        monitored_lines.response_code,
        http_status_codes.code is null as is_unregistered
    from monitored_lines
    left join http_status_codes
        on monitored_lines.response_code = cast(http_status_codes.code as int)
    where monitored_lines.quarantine_reason is null
),

unregistered_status_share as (
    select
        'unregistered_status_share' as monitor_name,
        count_if(judged_statuses.is_unregistered)
        / nullif(count(judged_statuses.response_code), 0) as measured_value,
        {{ var('dq_unregistered_status_share_warn') }} as warn_threshold,
        {{ var('dq_unregistered_status_share_fail') }} as fail_threshold,
        case
            when count(judged_statuses.response_code) = 0
                then 'no requests in ' || monitored_batches.batch_label
            else
                format_number(count_if(judged_statuses.is_unregistered), 0)
                || ' of ' || format_number(count(judged_statuses.response_code), 0)
                || ' requests of ' || monitored_batches.batch_label
                || ' have a code the seed lacks: '
                || coalesce(
                    nullif(
                        concat_ws(', ', sort_array(collect_set(
                            case
                                when judged_statuses.is_unregistered
                                    then cast(judged_statuses.response_code as string)
                            end
                        ))),
                        ''
                    ),
                    'none'
                )
        end as explanation
    -- One row even when no batch is judged.
    from monitored_batches
    left join judged_statuses
        on true
    group by monitored_batches.batch_label
)

select * from unregistered_status_share
