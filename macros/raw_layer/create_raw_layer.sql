{% macro create_raw_layer() %}
    {{ return(adapter.dispatch('create_raw_layer')(var('raw_schema'))) }}
{% endmacro %}


{% macro default__create_raw_layer(raw_schema) %}
    {#- Databricks: bronze is a streaming table of the DAG (models/raw/databricks/). -#}
    {{ return('') }}
{% endmacro %}
