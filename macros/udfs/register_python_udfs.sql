{% macro register_python_udfs() %}
    {{ return(adapter.dispatch('register_python_udfs')()) }}
{% endmacro %}


{% macro default__register_python_udfs() %}
    {#- Engines with persistent functions create them as function nodes of the DAG. -#}
    {{ return('') }}
{% endmacro %}


{% macro sail_delta__register_python_udfs() %}
    {#- On Sail a Python UDF lives in the session: register every Python function node at
        the start of each invocation, so any selection of models can call them. -#}
    {% if execute %}
        {% for function_node in graph.functions.values() if function_node.language == 'python' %}
            {% do sail_delta_register_python_function(function_node) %}
        {% endfor %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{% macro spark_connect__register_python_udfs() %}
    {#- On Spark Connect a Python UDF lives in the client's session, as on Sail. -#}
    {% if execute %}
        {% for function_node in graph.functions.values() if function_node.language == 'python' %}
            {% do spark_connect_register_python_function(function_node) %}
        {% endfor %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
