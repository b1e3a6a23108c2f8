{#
    dbt clone on Sail. Sail has no SHALLOW CLONE, so a table of the state is cloned as a
    view that reads it (dbt's way for an engine without zero-copy clones, as on Postgres).

    dbt-spark's clone materialization builds such a view with the view materialization of
    the adapter's own type, else dbt's default one, which renames a temporary view into
    place (ALTER VIEW ... RENAME, not supported by Sail). The one here is dbt-spark's, a
    single CREATE OR REPLACE VIEW, under sail_delta's name so that the clone finds it.
#}

{% macro sail_delta__can_clone_table() %}
    {{ return(False) }}
{% endmacro %}


{% materialization view, adapter='sail_delta' -%}
    {{ return(create_or_replace_view()) }}
{%- endmaterialization %}
