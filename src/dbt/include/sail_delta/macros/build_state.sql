{#
    What only the embedded engine's build state answers: the batch a table is built
    through, and the batch the data tests passed through on every row.
#}

{% macro sail_delta__monitored_batches_after(relation) %}
    {#- The relation's mark in the build state: the batch it was last built through by an
        invocation in which nothing failed. -#}
    {{ return(sail_delta__built_mark(relation)) }}
{% endmacro %}


{% macro sail_delta__built_mark(relation) %}
    {#- The batch the table is built through (0 before its first build). -#}
    {{ return(adapter.built_mark(relation.schema, relation.identifier) if execute else 0) }}
{% endmacro %}


{% macro sail_delta__tested_through_batch() %}
    {#- The batch through which the project's data tests passed on every row, if the project
        has not changed since (0 before any such run): tests read later batches only. -#}
    {{ return(adapter.tested_through_batch(invocation_id) if execute else 0) }}
{% endmacro %}
