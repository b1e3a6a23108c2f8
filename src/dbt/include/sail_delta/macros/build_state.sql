{#
    The batch the models are built through, recorded after every invocation on the embedded
    engine (see weblogs/build_state.py).
#}

{% macro sail_delta__record_build_state(results, source_name, table_name) %}
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
        {% do adapter.record_build_state(
            bronze[0], models, statuses, invocation_args_dict.get('empty', false)
        ) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{% macro sail_delta__monitored_batches_after(relation) %}
    {#- The relation's mark in the build state: the batch it was last built through by an
        invocation in which nothing failed. -#}
    {%- if execute -%}
        {{ return(adapter.built_through_mark(relation.schema ~ '.' ~ relation.identifier)) }}
    {%- endif -%}
    {{ return(0) }}
{% endmacro %}
