{#
    Function nodes where a Python UDF lives in the Spark Connect session (Sail, and Apache
    Spark over Spark Connect): neither has CREATE FUNCTION for Python, so a Python function
    node is registered from the client as a vectorized UDF of the session. The main statement
    then calls it once, so a function that does not resolve fails its own node instead of the
    first model that uses it.
#}

{% macro session_functions_register_python_function(function_node) %}
    {%- if function_node.language != 'python' -%}
        {{ exceptions.raise_compiler_error("Function " ~ function_node.name ~ ": only Python functions are supported on " ~ target.type ~ ", got " ~ function_node.language) }}
    {%- endif -%}
    {%- set entry_point = function_node.config.get('entry_point') -%}
    {%- if not entry_point -%}
        {{ exceptions.raise_compiler_error("Function " ~ function_node.name ~ " needs config entry_point: the Python callable to register") }}
    {%- endif -%}
    {{ return(adapter.register_python_udf(function_node.name, function_node.raw_code, entry_point, function_node.returns.data_type)) }}
{% endmacro %}


{% materialization function, adapter='session_functions', supported_languages=['python'] %}
    {%- set target_relation = this.incorporate(type=this.Function) -%}
    {{ run_hooks(pre_hooks) }}
    {%- set name = session_functions_register_python_function(model) -%}
    {%- set null_arguments = [] -%}
    {%- for argument in model.arguments -%}
        {%- do null_arguments.append('cast(null as ' ~ argument.data_type ~ ')') -%}
    {%- endfor -%}
    {% call statement('main') -%}
        select {{ name }}({{ null_arguments | join(', ') }}) as smoke_test
    {%- endcall %}
    {{ run_hooks(post_hooks) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% macro session_functions__register_python_udfs() %}
    {#- on-run-start (register_python_udfs): a session UDF lives only as long as the session,
        so every Python function node is registered at the start of each invocation and any
        selection of models can call them. -#}
    {% if execute %}
        {% for function_node in graph.functions.values() if function_node.language == 'python' %}
            {% do session_functions_register_python_function(function_node) %}
        {% endfor %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
