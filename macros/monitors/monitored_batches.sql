{% macro monitored_batches_after(relation) %}
    {#- The ingest batch the monitors were last built through without a failure: they judge
        every batch after it. none where the engine keeps no build state dbt can read. -#}
    {{ return(adapter.dispatch('monitored_batches_after')(relation)) }}
{% endmacro %}


{% macro default__monitored_batches_after(relation) %}
    {#- Databricks: no build state to read; the latest batch is judged. -#}
    {{ return(none) }}
{% endmacro %}
