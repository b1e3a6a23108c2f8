{% macro spark_connect__create_raw_layer(raw_schema) %}
    {#- on-run-start: before the first ingest, bronze and the ledger are created empty (the
        Delta tables `weblogs ingest` writes), so a fresh `dbt build` builds empty tables. -#}
    {% if execute %}
        {% do adapter.create_raw_layer(raw_schema) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
