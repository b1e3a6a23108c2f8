{#- Data-drift monitors, one row each. Thresholds are vars (dbt_project.yml); the generic
    test monitor_within_thresholds turns a row's status into a warning or a failure. -#}
{%- set known_methods = var('dq_known_methods') -%}
{%- set known_protocols = var('dq_known_protocols') -%}

with

staged_lines as (
    select * from {{ ref('stg_apache_logs__lines') }}
),

requests as (
    select * from {{ ref('int_access_requests_deduplicated') }}
),

http_status_codes as (
    select * from {{ ref('http_status_codes') }}
),

-- The batch that arrived last: rates and novelty are judged on what is new.
latest_batch as (
    select max(ingest_batch_id) as ingest_batch_id from staged_lines
),

latest_lines as (
    select staged_lines.*
    from staged_lines
    inner join latest_batch
        on staged_lines.ingest_batch_id = latest_batch.ingest_batch_id
),

latest_requests as (
    select
        latest_lines.*,
        coalesce(latest_lines.protocol, '(none)') as protocol_label
    from latest_lines
    where latest_lines.quarantine_reason is null
),

earlier_requests as (
    select
        requests.http_method,
        coalesce(requests.protocol, '(none)') as protocol_label
    from requests
    inner join latest_batch
        on requests.ingest_batch_id < latest_batch.ingest_batch_id
),

quarantine_rate as (
    select
        'quarantine_rate' as monitor_name,
        count_if(quarantine_reason is not null) / nullif(count(*), 0) as measured_value,
        {{ var('dq_quarantine_rate_warn') }} as warn_threshold,
        {{ var('dq_quarantine_rate_fail') }} as fail_threshold,
        cast(count_if(quarantine_reason is not null) as string)
        || ' of ' || cast(count(*) as string) || ' lines of ingest batch '
        || coalesce(cast(max(ingest_batch_id) as string), '(none)')
        || ' quarantined' as explanation
    from latest_lines
),

unregistered_status_share as (
    select
        'unregistered_status_share' as monitor_name,
        count_if(http_status_codes.code is null) / nullif(count(*), 0) as measured_value,
        {{ var('dq_unregistered_status_share_warn') }} as warn_threshold,
        {{ var('dq_unregistered_status_share_fail') }} as fail_threshold,
        cast(count_if(http_status_codes.code is null) as string)
        || ' of ' || cast(count(*) as string)
        || ' requests of the latest batch have a code the seed lacks: '
        || coalesce(
            nullif(
                concat_ws(', ', sort_array(collect_set(
                    case
                        when http_status_codes.code is null
                            then cast(latest_requests.response_code as string)
                    end
                ))),
                ''
            ),
            'none'
        ) as explanation
    from latest_requests
    left join http_status_codes
        on latest_requests.response_code = cast(http_status_codes.code as int)
),

daily_requests as (
    select
        cast(event_at as date) as event_date,
        count(*) as request_count
    from requests
    group by cast(event_at as date)
),

latest_day as (
    select
        max(event_date) as event_date,
        min(event_date) as first_event_date
    from daily_requests
),

daily_volume as (
    select
        latest_day.event_date,
        -- Days before the latest one that the window covers (days without requests count
        -- as zero, but not days before the first request ever seen).
        least(
            {{ var('dq_daily_volume_trailing_days') }},
            datediff(latest_day.event_date, latest_day.first_event_date)
        ) as history_days,
        sum(
            case
                when daily_requests.event_date = latest_day.event_date
                    then daily_requests.request_count
            end
        ) as latest_count,
        coalesce(sum(
            case
                when
                    daily_requests.event_date < latest_day.event_date
                    and daily_requests.event_date >= date_sub(
                        latest_day.event_date, {{ var('dq_daily_volume_trailing_days') }}
                    )
                    then daily_requests.request_count
            end
        ), 0) as trailing_count
    from latest_day
    inner join daily_requests
        on latest_day.event_date >= daily_requests.event_date
    group by
        latest_day.event_date,
        latest_day.first_event_date
),

daily_volume_change as (
    select
        'daily_volume_change' as monitor_name,
        -- |latest - average| / max(latest, average): 0 unchanged, 0.5 halved or doubled,
        -- 1 when one side is zero. Null (ok) until there is enough history.
        case
            when history_days >= {{ var('dq_daily_volume_min_history_days') }}
                then
                    abs(latest_count - trailing_count / history_days)
                    / greatest(latest_count, trailing_count / history_days)
        end as measured_value,
        {{ var('dq_daily_volume_change_warn') }} as warn_threshold,
        {{ var('dq_daily_volume_change_fail') }} as fail_threshold,
        case
            when history_days >= {{ var('dq_daily_volume_min_history_days') }}
                then
                    cast(latest_count as string) || ' requests on '
                    || cast(event_date as string) || ' against a daily average of '
                    || cast(round(trailing_count / history_days, 1) as string)
                    || ' over the ' || cast(history_days as string) || ' day(s) before'
            else
                'not enough history: ' || cast(history_days as string)
                || ' day(s) before ' || cast(event_date as string) || ', needs '
                || '{{ var("dq_daily_volume_min_history_days") }}'
        end as explanation
    from daily_volume
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
    from (
        select distinct latest_requests.http_method
        from latest_requests
        left anti join earlier_requests
            on latest_requests.http_method = earlier_requests.http_method
        where
            latest_requests.http_method not in (
                {%- for value in known_methods %}
                    '{{ value }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
    ) as unseen_methods
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
    from (
        select distinct latest_requests.protocol_label
        from latest_requests
        left anti join earlier_requests
            on latest_requests.protocol_label = earlier_requests.protocol_label
        where
            latest_requests.protocol_label not in (
                {%- for value in known_protocols %}
                    '{{ value }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
    ) as unseen_protocols
),

monitors as (
    select * from quarantine_rate
    union all
    select * from unregistered_status_share
    union all
    select * from daily_volume_change
    union all
    select * from new_methods
    union all
    select * from new_protocols
),

final as (
    select
        monitor_name,
        cast(measured_value as double) as measured_value,
        cast(warn_threshold as double) as warn_threshold,
        cast(fail_threshold as double) as fail_threshold,
        case
            when measured_value > fail_threshold then 'fail'
            when measured_value > warn_threshold then 'warn'
            else 'ok'
        end as status,
        explanation
    from monitors
)

select * from final
