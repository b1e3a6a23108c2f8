{#
    Function nodes on Apache Spark over Spark Connect. Spark has no CREATE FUNCTION for
    Python: a Python function node is registered from the client as a vectorized UDF of the
    session, then called once so a function that does not resolve fails its own node.
#}

{% macro spark_connect_register_python_function(function_node) %}
    {%- if function_node.language != 'python' -%}
        {{ exceptions.raise_compiler_error("Function " ~ function_node.name ~ ": only Python functions are supported on Spark Connect, got " ~ function_node.language) }}
    {%- endif -%}
    {%- set entry_point = function_node.config.get('entry_point') -%}
    {%- if not entry_point -%}
        {{ exceptions.raise_compiler_error("Function " ~ function_node.name ~ " needs config entry_point: the Python callable to register") }}
    {%- endif -%}
    {{ return(adapter.register_python_udf(function_node.name, function_node.raw_code, entry_point, function_node.returns.data_type)) }}
{% endmacro %}


{% materialization function, adapter='spark_connect', supported_languages=['python'] %}
    {%- set target_relation = this.incorporate(type=this.Function) -%}
    {{ run_hooks(pre_hooks) }}
    {%- set name = spark_connect_register_python_function(model) -%}
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
