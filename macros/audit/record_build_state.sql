{% macro record_build_state(results) %}
    {#- Every ingest batch arrives through this source: the build state counts from it. -#}
    {{ return(adapter.dispatch('record_build_state')(results, 'apache_logs', 'access_log_lines')) }}
{% endmacro %}


{% macro default__record_build_state(results, source_name, table_name) %}
    {#- Databricks: weblogs keeps no build state there. -#}
    {{ return('') }}
{% endmacro %}
