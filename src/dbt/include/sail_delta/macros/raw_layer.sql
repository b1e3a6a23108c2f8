{#
    The raw layer on the embedded engine before anything landed (see weblogs/bronze/empty.py).
#}

{% macro sail_delta__create_raw_layer(raw_schema) %}
    {#- on-run-start: before the first ingest, bronze and the ledger are created empty, so
        a fresh `dbt build` builds empty tables instead of failing on a missing source. -#}
    {% if execute %}
        {% do adapter.create_raw_layer(raw_schema) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
