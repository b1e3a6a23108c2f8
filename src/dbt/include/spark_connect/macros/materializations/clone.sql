{#
    dbt clone on Apache Spark with Delta Lake. dbt-spark clones a table with CREATE OR
    REPLACE TABLE ... SHALLOW CLONE, which Delta Lake (outside Databricks) refuses when the
    table is there and not empty (DELTA_UNSUPPORTED_NON_EMPTY_CLONE): `dbt clone
    --full-refresh` failed on every table it had cloned before. Such a table is dropped
    first; a clone goes to a schema of its own (a developer's or a CI run's), which no
    published reader queries.
#}

{% macro spark_connect__create_or_replace_clone(this_relation, defer_relation) %}
    {%- set existing = adapter.get_relation(
        database=this_relation.database,
        schema=this_relation.schema,
        identifier=this_relation.identifier,
    ) -%}
    {%- if existing is not none -%}
        {%- do adapter.drop_relation(existing) -%}
    {%- endif -%}
    create table {{ this_relation }} shallow clone {{ defer_relation }}
{% endmacro %}
