with

batch_counts as (
    -- Every request counted once, by the batch it came in and its day: a few rows per
    -- batch instead of every request.
    select * from {{ ref('int_request_tallies_by_batch') }}
),

daily_requests as (
    select
        event_date,
        sum(request_count) as request_count
    from batch_counts
    group by event_date
),

latest_day as (
    -- The newest complete day: the day before the newest request's, which may still be
    -- filling (a build during the day, a slice of a backlog, or lines of the day still on
    -- their way): judging it would take a day begun for a collapse.
    select
        date_sub(max(event_date), 1) as event_date,
        max(event_date) as newest_event_date,
        min(event_date) as first_event_date
    from daily_requests
),

daily_volume as (
    select
        latest_day.event_date,
        latest_day.newest_event_date,
        latest_day.first_event_date,
        -- Days before the judged one that the window covers (days without requests count
        -- as zero, but not days before the first request ever seen).
        least(
            {{ var('dq_daily_volume_trailing_days') }},
            datediff(latest_day.event_date, latest_day.first_event_date)
        ) as history_days,
        coalesce(sum(
            case
                when daily_requests.event_date = latest_day.event_date
                    then daily_requests.request_count
            end
        ), 0) as latest_count,
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
    left join daily_requests
        on latest_day.event_date >= daily_requests.event_date
    group by
        latest_day.event_date,
        latest_day.newest_event_date,
        latest_day.first_event_date
),

daily_volume_change as (
    select
        'daily_volume_change' as monitor_name,
        -- |latest - average| / max(latest, average): 0 unchanged (also when both are zero:
        -- a judged day without requests after a week without any), 0.5 halved or doubled,
        -- 1 when one side is zero. Null (ok) until there is enough history.
        case
            when history_days >= {{ var('dq_daily_volume_min_history_days') }}
                then
                    coalesce(
                        abs(latest_count - trailing_count / history_days)
                        / nullif(greatest(latest_count, trailing_count / history_days), 0),
                        0
                    )
        end as measured_value,
        {{ var('dq_daily_volume_change_warn') }} as warn_threshold,
        {{ var('dq_daily_volume_change_fail') }} as fail_threshold,
        case
            when newest_event_date is null
                then 'no requests yet'
            when event_date < first_event_date
                then
                    'no complete day yet: every request is from '
                    || cast(newest_event_date as string) || ', which may still be filling'
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
)

select * from daily_volume_change
