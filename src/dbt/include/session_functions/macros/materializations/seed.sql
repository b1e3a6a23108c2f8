{#
    Seeds on both engines. dbt-spark's seed materialization drops the table, creates it
    empty and inserts the rows: a reader meanwhile finds no table or an empty one, and
    every build pays for it (on Spark a drop, a create and an insert, each a Delta commit)
    although the file rarely changes. Here the table is replaced in one statement (CREATE
    OR REPLACE ... AS SELECT, a single new Delta version), and only when the file, its
    column types or the table changed since the last load; the tables built from the seed
    are then marked as holding nothing (weblogs.build.state), so the incremental ones take
    in every row again and pick up the new values.
#}
{% materialization seed, adapter='session_functions' %}
    {%- set identifier = model['alias'] -%}
    {%- set full_refresh_mode = should_full_refresh() -%}
    {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
    {%- if old_relation is not none and old_relation.is_view -%}
        {{ exceptions.raise_compiler_error("Cannot seed to '{}', it is a view".format(old_relation.render())) }}
    {%- endif -%}
    {%- set agate_table = load_agate_table() -%}
    {%- do store_result('agate_table', response='OK', agate_table=agate_table) -%}
    {%- set fingerprint = [
        model.checksum.checksum,
        model.config.column_types | tojson,
        model.config.quote_columns | string,
        model.config.delimiter,
    ] | join('|') -%}
    {%- set target_relation = this.incorporate(type='table') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- if old_relation is not none and not full_refresh_mode
        and adapter.seed_is_loaded(schema, identifier, fingerprint) %}
        {% call noop_statement('main', 'UNCHANGED', 'UNCHANGED', 0) -%}
            -- {{ target_relation }} already holds this file
        {%- endcall %}
    {%- else %}
        {%- set rows_affected = agate_table.rows | length -%}
        {% do adapter.forget_seed_dependents(model.unique_id, session_functions_seed_dependents()) %}
        {% call statement('main') -%}
            {{ session_functions_replace_seed_sql(model, agate_table) }}
        {%- endcall %}
        {% do adapter.record_seed_load(schema, identifier, fingerprint) %}
        {% do store_raw_result('main', message='CREATE ' ~ rows_affected, code='CREATE', rows_affected=rows_affected) %}
    {%- endif %}

    {% do persist_docs(target_relation, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% macro session_functions_replace_seed_sql(model, agate_table) %}
    {#- The whole file as one CREATE OR REPLACE ... AS SELECT over its rows, each value a
        string literal cast to the column's type (null for an empty cell). -#}
    {%- set column_override = model.config.get('column_types', {}) -%}
    {%- set quote_columns = model.config.get('quote_columns', None) -%}
    {%- set columns = [] -%}
    {%- for name in agate_table.column_names -%}
        {%- set type = column_override.get(name, adapter.convert_type(agate_table, loop.index0)) -%}
        {%- do columns.append(
            'cast(seed_rows.column_' ~ loop.index ~ ' as ' ~ type ~ ') as '
            ~ adapter.quote_seed_column(name | string, quote_columns)
        ) -%}
    {%- endfor -%}
    create or replace table {{ this.render() }}
    {{ file_format_clause() }}
    {{ options_clause() }}
    {{ location_clause() }}
    {{ comment_clause() }}
    as
    select
        {{ columns | join(',\n        ') }}
    {%- if agate_table.rows | length > 0 %}
    from values
        {%- for row in agate_table.rows %}
        ({% for value in row %}{{ session_functions_seed_literal(value) }}{{ ', ' if not loop.last }}{% endfor %}){{ ',' if not loop.last }}
        {%- endfor %}
        as seed_rows({% for name in agate_table.column_names %}column_{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %})
    {%- else %}
    from (
        select {% for name in agate_table.column_names %}cast(null as string) as column_{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
    ) as seed_rows
    where false
    {%- endif %}
{% endmacro %}


{% macro session_functions_seed_dependents() %}
    {#- Every model, with the nodes it reads: the adapter finds the tables built from the seed. -#}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- do models.append({
            'unique_id': node.unique_id,
            'relation': node.schema ~ '.' ~ node.alias,
            'depends_on': node.depends_on.nodes,
        }) -%}
    {%- endfor -%}
    {{ return(models) }}
{% endmacro %}


{#
    A seed's cell as an SQL literal, for both adapters' seed loading: null for an empty
    cell, else the value as a string literal (the statement casts it to the column's type).
#}

{% macro session_functions_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
