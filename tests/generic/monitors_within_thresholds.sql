{#
    The data-drift test of data_quality_monitors: every monitor in one query, one row per
    monitor past a threshold (level warn or fail). Its failure count is the worst level:
    0 when every monitor is ok, 1 when the worst warns, 2 when one fails, so warn_if '>0'
    and error_if '>1' map the monitors' status onto dbt's severity, whose setting is the
    var dq_monitor_severity. When the count is above 0 the test materialization
    (macros/testing/test_materialization.sql) logs one line per monitor it returned, its
    level and what was measured, e.g. "fail quarantine_rate 0.062 > 0.05: 152 of 2,451
    lines of ingest batches 3-7 quarantined", since dbt's own line only gives the count.
    One test, not one per monitor: a data test costs a query's fixed cost, about 2 s on
    Spark.
#}
{% test monitors_within_thresholds(model) %}
    {{ config(
        severity=var('dq_monitor_severity'),
        fail_calc="coalesce(max(case when level = 'fail' then 2 else 1 end), 0)",
        warn_if='>0',
        error_if='>1'
    ) }}

select
    monitor_name,
    status as level,
    measured_value,
    case when status = 'fail' then fail_threshold else warn_threshold end as threshold,
    explanation
from {{ model }}
where status in ('warn', 'fail')

{% endtest %}
