{#
    dbt's is_incremental(), except that a compile without introspection
    (`dbt compile --no-introspect`, no connection) renders the full-build SQL instead of
    failing on the table lookup. With introspection it is dbt's own.
#}
{% macro is_incremental() %}
    {% if not execute or flags.INTROSPECT is sameas false %}
        {{ return(false) }}
    {% endif %}
    {% set relation = adapter.get_relation(this.database, this.schema, this.table) %}
    {{ return(
        relation is not none
        and relation.type == 'table'
        and model.config.materialized == 'incremental'
        and not should_full_refresh()
    ) }}
{% endmacro %}
