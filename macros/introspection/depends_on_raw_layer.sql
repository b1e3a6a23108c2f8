{#
    Where the bronze table is a dbt model (the Databricks streaming table), staging must
    run after it although it reads it through the source: this adds that edge to the DAG.
    Elsewhere `weblogs ingest` writes bronze and there is nothing to add.
#}
{% macro depends_on_raw_layer() %}
    {{ return(adapter.dispatch('depends_on_raw_layer')()) }}
{% endmacro %}


{% macro default__depends_on_raw_layer() %}
    {{ return('') }}
{% endmacro %}


{% macro databricks__depends_on_raw_layer() %}
    {{ return('-- depends_on: ' ~ ref('access_log_lines_stream')) }}
{% endmacro %}
