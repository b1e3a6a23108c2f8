{#- Data-drift monitors, one row each: a model per monitor (models/intermediate/monitors/,
    ephemeral, so they cost no statement of their own), put together here with the status
    their thresholds give. Thresholds are vars (dbt_project.yml); the generic test
    monitors_within_thresholds turns the rows' status into a warning or a failure. -#}

with

quarantine_rate as (
    select * from {{ ref('int_monitor_quarantine_rate') }}
),

unregistered_status_share as (
    select * from {{ ref('int_monitor_unregistered_status_share') }}
),

daily_volume_change as (
    select * from {{ ref('int_monitor_daily_volume_change') }}
),

new_methods as (
    select * from {{ ref('int_monitor_new_methods') }}
),

new_protocols as (
    select * from {{ ref('int_monitor_new_protocols') }}
),

monitored_batches as (
    select * from {{ ref('int_monitored_batches') }}
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
        monitors.monitor_name,
        cast(monitors.measured_value as double) as measured_value,
        cast(monitors.warn_threshold as double) as warn_threshold,
        cast(monitors.fail_threshold as double) as fail_threshold,
        case
            when monitors.measured_value > monitors.fail_threshold then 'fail'
            when monitors.measured_value > monitors.warn_threshold then 'warn'
            else 'ok'
        end as status,
        monitors.explanation,
        -- The batches judged; daily volume judges event dates, not batches.
        case
            when monitors.monitor_name != 'daily_volume_change'
                then monitored_batches.first_batch_id
        end as first_batch_id,
        case
            when monitors.monitor_name != 'daily_volume_change'
                then monitored_batches.last_batch_id
        end as last_batch_id
    from monitors
    cross join monitored_batches
)

select * from final
