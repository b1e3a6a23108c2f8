{#
    Engine glue for Sail with a warehouse that persists. Each macro overrides one
    dbt-spark behaviour that, on Sail, would lose or duplicate data.
#}

{% macro sail_delta__location_clause() %}
    {#- A fixed folder per table: without it every create writes a new <table>-<uuid> folder. -#}
    {%- set location_root = config.get('location_root', validator=validation.any[basestring]) -%}
    {%- if location_root is not none %}
    location '{{ location_root }}/{{ model['alias'] }}'
    {%- else %}
    location '{{ adapter.table_location(model['schema'], model['alias']) }}'
    {%- endif %}
{%- endmacro %}


{% macro sail_delta__scratch_location_clause(relation) -%}
    {#- A table the build stages for itself lives under <warehouse>/_scratch, where no other
        process looks for tables: a reader listing the schema's folder would find it, then
        lose it when the model drops it. A folder left there by a killed build is deleted
        first (a new process's catalog does not know it, so no drop reaches it). -#}
    {%- set location = adapter.scratch_table_location(relation.schema, relation.identifier) -%}
    {%- do adapter.purge_table_files(location) -%}
    location '{{ location }}'
{%- endmacro %}


{% macro sail_delta__drop_relation(relation) -%}
    {#- A dropped table takes its files with it, as a managed table would; otherwise a
        re-create at the same location would find the old rows (and a seed would double). -#}
    {%- set location = '' if relation.is_view else adapter.stored_table_location(relation.schema, relation.identifier) -%}
    {% call statement('drop_relation', auto_begin=False) -%}
        drop {{ relation.type }} if exists {{ relation }}
    {%- endcall %}
    {% if relation.is_view %}
        {% do adapter.forget_view_definition(relation.schema, relation.identifier) %}
    {% elif location %}
        {% do adapter.purge_table_files(location) %}
    {% endif %}
{%- endmacro %}


{% macro sail_delta__create_view_as(relation, sql) -%}
    {%- set create_sql = spark__create_view_as(relation, sql) -%}
    {#- Views live only in the session; the saved definition is replayed by the next process. -#}
    {% do adapter.save_view_definition(relation.schema, relation.identifier, create_sql) %}
    {{ return(create_sql) }}
{%- endmacro %}


{% macro sail_delta__options_clause() -%}
    {#- Tables are replaced in place (dbt-spark's CREATE OR REPLACE for Delta, at the fixed
        location above): one new Delta version, so a reader in another process finds the old
        version or the new one, never a missing or half-written table. overwriteSchema lets
        that version change the columns too (a full refresh after a model changed), where
        Sail otherwise refuses. The old version's files stay until `weblogs compact` vacuums
        them. -#}
    {%- set options = {} -%}
    {%- do options.update(config.get('options') or {}) -%}
    {%- if config.get('file_format') == 'delta' -%}
        {%- do options.update({'overwriteSchema': 'true'}) -%}
    {%- endif -%}
    {%- if options %}
    options (
        {%- for name, value in options.items() %}
        {{ name }} '{{ value }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )
    {%- endif %}
{%- endmacro %}
