{% macro register_python_udfs() %}
    {{ return(adapter.dispatch('register_python_udfs')()) }}
{% endmacro %}


{% macro default__register_python_udfs() %}
    {#- Engines with persistent functions create them as function nodes of the DAG. Where a
        function lives in the session (sail_delta, spark_connect) the adapters' shared base
        registers them: session_functions__register_python_udfs. -#}
    {{ return('') }}
{% endmacro %}
