{#
    The run log on Sail: the root project's record_run_start and record_run_log hooks
    dispatch here; the adapter snapshots and writes <schema>.run_log.
#}

{% macro sail_delta__record_run_start() %}
    {#- on-run-start: row counts before any model runs, so the log can say what changed. -#}
    {% if execute %}
        {% do adapter.snapshot_run_start(invocation_id) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{% macro sail_delta__record_run_log(results) %}
    {#- on-run-end: one run_log row per model and seed this invocation ran. -#}
    {% if execute %}
        {%- set entries = [] -%}
        {%- for result in results if result.node.resource_type in ('model', 'seed', 'snapshot') -%}
            {%- do entries.append({
                'node_id': result.node.unique_id,
                'node_name': result.node.name,
                'resource_type': result.node.resource_type,
                'materialization': result.node.config.materialized,
                'status': result.status | string,
                'execution_seconds': result.execution_time,
                'relation': result.node.schema ~ '.' ~ result.node.alias,
                'message': result.message,
            }) -%}
        {%- endfor -%}
        {%- set staging = [] -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.name == 'stg_apache_logs__lines' -%}
            {%- do staging.append(node.schema ~ '.' ~ node.alias) -%}
        {%- endfor -%}
        {#- The ledger says when the files of the batches read were last written. -#}
        {%- set ledger = [] -%}
        {%- for source in graph.sources.values() if source.name == 'ingest_ledger' -%}
            {%- do ledger.append(source.schema ~ '.' ~ source.identifier) -%}
        {%- endfor -%}
        {%- set selection = invocation_args_dict.get('select') or [] -%}
        {%- set command = 'dbt ' ~ flags.WHICH ~ ((' --select ' ~ (selection | join(' '))) if selection else '') -%}
        {% do adapter.record_run_log(
            invocation_id, run_started_at, command, target.name, target.schema,
            staging[0] if staging else '', entries, ledger[0] if ledger else ''
        ) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
