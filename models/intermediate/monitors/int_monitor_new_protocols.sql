{%- set known_protocols = var('dq_known_protocols') -%}

with

monitored_lines as (
    select * from {{ ref('int_monitored_lines') }}
),

earlier_requests as (
    select * from {{ ref('int_monitored_earlier_requests') }}
),

judged_requests as (
    -- A request without a protocol counts as the protocol '(none)'.
    select coalesce(protocol, '(none)') as protocol_label
    from monitored_lines
    where quarantine_reason is null
),

unseen_protocols as (
    select distinct judged_requests.protocol_label
    from judged_requests
    left anti join earlier_requests
        on judged_requests.protocol_label = earlier_requests.protocol_label
    where
        judged_requests.protocol_label not in (
            {%- for value in known_protocols %}
                '{{ value }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
),

new_protocols as (
    select
        'new_protocols' as monitor_name,
        cast(count(*) as double) as measured_value,
        {{ var('dq_new_protocols_warn') }} as warn_threshold,
        {{ var('dq_new_protocols_fail') }} as fail_threshold,
        'protocols never seen before: '
        || coalesce(
            nullif(concat_ws(', ', sort_array(collect_list(protocol_label))), ''), 'none'
        ) as explanation
    from unseen_protocols
)

select * from new_protocols
