{#
    The batch the models are built through, recorded after every invocation on the embedded
    engine and on Apache Spark (see weblogs/build/state.py); each adapter says how to read
    the newest batch a table holds.
#}

{% macro session_functions__record_build_state(results, source_name, table_name) %}
    {#- on-run-end: every model with its inputs, and the status of every node that ran. -#}
    {% if execute %}
        {%- set bronze = [] -%}
        {%- for source in graph.sources.values()
            if source.source_name == source_name and source.name == table_name -%}
            {%- do bronze.append(source.unique_id) -%}
        {%- endfor -%}
        {%- set full_refresh = invocation_args_dict.get('full_refresh', false) -%}
        {%- set models = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
            {%- do models.append({
                'unique_id': node.unique_id,
                'relation': node.schema ~ '.' ~ node.alias,
                'materialized': node.config.materialized,
                'depends_on': node.depends_on.nodes,
                'full_refresh': node.config.full_refresh if node.config.full_refresh is not none else full_refresh,
            }) -%}
        {%- endfor -%}
        {%- set statuses = {} -%}
        {%- for result in results -%}
            {%- do statuses.update({result.node.unique_id: result.status | string}) -%}
        {%- endfor -%}
        {%- if not bronze -%}
            {{ exceptions.raise_compiler_error("record_build_state: no source " ~ source_name ~ "." ~ table_name) }}
        {%- endif -%}
        {#- What a complete build runs, and the tables it reads from outside the project. An
            ephemeral model never runs (no result): its SQL runs inside the models that ref it. -#}
        {%- set project_nodes = {} -%}
        {%- for node in graph.nodes.values()
            if node.resource_type in ('model', 'seed', 'snapshot', 'test')
            and node.config.materialized != 'ephemeral' -%}
            {%- do project_nodes.update({node.unique_id: node.resource_type}) -%}
        {%- endfor -%}
        {%- set sources = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- do sources.append(source.schema ~ '.' ~ source.identifier) -%}
        {%- endfor -%}
        {% do adapter.record_build_state(
            bronze[0], models, statuses, invocation_args_dict.get('empty', false),
            invocation_id, flags.WHICH, project_nodes, sources
        ) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{% macro session_functions__batch_ceiling() %}
    {#- Set by `weblogs build` for each slice of a long backlog (weblogs.build.state). -#}
    {{ return(adapter.batch_ceiling() if execute else 0) }}
{% endmacro %}


{#
    What the build state answers on both engines (the warehouse folder keeps it, also for
    the tables of a Spark server): the batch a table is built through, and the batch the
    data tests passed through on every row. Where a mark is lower than the table's truth (a
    build by another client of the same server), the models and tests read more batches
    than they need, and the merges on each model's key take rows read twice once.
#}

{% macro session_functions__monitored_batches_after(relation) %}
    {#- The relation's mark in the build state: the batch it was last built through by an
        invocation in which nothing failed. -#}
    {{ return(session_functions__built_mark(relation)) }}
{% endmacro %}


{% macro session_functions__built_mark(relation) %}
    {#- The batch the table is built through (0 before its first build). -#}
    {{ return(adapter.built_mark(relation.schema, relation.identifier) if execute else 0) }}
{% endmacro %}


{% macro session_functions__tested_through_batch() %}
    {#- The batch through which the project's data tests passed on every row, if the project
        has not changed since (0 before any such run): tests read later batches only. -#}
    {{ return(adapter.tested_through_batch(invocation_id) if execute else 0) }}
{% endmacro %}
