{#
    A data-drift monitor of data_quality_monitors: one row per threshold its value exceeds
    (warn, then fail). So one row warns and two rows fail; dq_monitor_severity: warn turns
    failures into warnings for a run that must go through.
#}
{% test monitor_within_thresholds(model, monitor) %}
    {{ config(severity=var('dq_monitor_severity'), warn_if='>0', error_if='>1') }}

with

monitor_rows as (
    select * from {{ model }}
    where monitor_name = '{{ monitor }}'
),

exceeded as (
    select
        monitor_name,
        'warn' as level,
        measured_value,
        warn_threshold as threshold,
        explanation
    from monitor_rows
    where status in ('warn', 'fail')
    union all
    select
        monitor_name,
        'fail' as level,
        measured_value,
        fail_threshold as threshold,
        explanation
    from monitor_rows
    where status = 'fail'
)

select * from exceeded

{% endtest %}
