{#
    Every data test runs as dbt's own test materialization does it (called here, so
    store_failures, limit and severity are dbt's), and a test whose rows say what failed
    then names it in the build's output, one line each, where dbt's summary only counts:
    a row_checks test (tests/generic/row_checks.sql) each failed check and its count,
    monitors_within_thresholds (tests/generic/monitors_within_thresholds.sql) each
    monitor past a threshold and what it measured. Their rows are read again only then.
    Why an override: dbt accepts no materialization but `test` for a test, and none of the
    adapters used here has a test materialization of its own, so this one wraps the only
    one there is.
#}

{%- materialization test, default -%}
    {%- set result = dbt.materialization_test_default() -%}
    {%- set main = load_result('main') -%}
    {%- set test_name = (model.test_metadata or {}).get('name') -%}
    {%- set failed = main and main['table'] and (main['table'].rows[0][0] or 0) | int > 0 -%}
    {%- if failed and test_name == 'row_checks' -%}
        {%- set checks = run_query(
            'select check_name, failing_rows from (' ~ sql ~ ') as row_checks order by check_name'
        ) -%}
        {%- for row in checks.rows -%}
            {%- do log(
                model.name ~ ': ' ~ row[0] ~ ' failed on ' ~ row[1] ~ ' row'
                ~ ('' if row[1] | int == 1 else 's'),
                info=true
            ) -%}
        {%- endfor -%}
    {%- elif failed and test_name == 'monitors_within_thresholds' -%}
        {%- set monitors = run_query(
            'select level, monitor_name, measured_value, threshold, explanation from ('
            ~ sql ~ ') as monitors order by monitor_name'
        ) -%}
        {%- for row in monitors.rows -%}
            {%- do log(
                row[0] ~ ' ' ~ row[1] ~ ' ' ~ ('%.3g' | format(row[2])) ~ ' > '
                ~ ('%.3g' | format(row[3])) ~ ': ' ~ row[4],
                info=true
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(result) }}
{%- endmaterialization -%}
