{#
    A data-drift monitor of data_quality_monitors: one row per threshold its value exceeds
    (warn, then fail). So one row warns and two rows fail; dq_monitor_severity: warn turns
    failures into warnings for a run that must go through. A monitor past a threshold also
    logs one line saying what it measured, e.g. "quarantine_rate 0.062 > 0.05: 152 of
    2,451 lines of ingest batches 3-7 quarantined", since dbt's own line only counts rows.
#}
{% test monitor_within_thresholds(model, monitor) %}
    {{ config(severity=var('dq_monitor_severity'), warn_if='>0', error_if='>1') }}
    {#- Only when the test runs (not `dbt docs generate` or compile), on a built table. -#}
    {%- if execute and flags.INTROSPECT is not sameas false and flags.WHICH in ('build', 'test')
        and load_relation(model) is not none -%}
        {%- set found = run_query(
            "select measured_value, warn_threshold, fail_threshold, status, explanation from "
            ~ model ~ " where monitor_name = '" ~ monitor ~ "' and status in ('warn', 'fail')"
        ) -%}
        {%- for row in found.rows -%}
            {%- set threshold = row[2] if row[3] == 'fail' else row[1] -%}
            {{ log(monitor ~ " " ~ ("%.3g" | format(row[0])) ~ " > " ~ ("%.3g" | format(threshold))
                ~ ": " ~ row[4], info=True) }}
        {%- endfor -%}
    {%- endif %}

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
