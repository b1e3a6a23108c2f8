{%- set known_methods = var('dq_known_methods') -%}

with

monitored_lines as (
    select * from {{ ref('int_monitored_lines') }}
),

earlier_requests as (
    select * from {{ ref('int_monitored_earlier_requests') }}
),

judged_requests as (
    select http_method
    from monitored_lines
    where quarantine_reason is null
),

unseen_methods as (
    select distinct judged_requests.http_method
    from judged_requests
    left anti join earlier_requests
        on judged_requests.http_method = earlier_requests.http_method
    where
        judged_requests.http_method not in (
            {%- for value in known_methods %}
                '{{ value }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
),

new_methods as (
    select
        'new_methods' as monitor_name,
        cast(count(*) as double) as measured_value,
        {{ var('dq_new_methods_warn') }} as warn_threshold,
        {{ var('dq_new_methods_fail') }} as fail_threshold,
        'methods never seen before: '
        || coalesce(
            nullif(concat_ws(', ', sort_array(collect_list(http_method))), ''), 'none'
        ) as explanation
    from unseen_methods
)

select * from new_methods
