{#
    dbt-databricks renders a Python function node as a row-at-a-time UDF and ignores
    `entry_point`. Our functions are vectorized: declare the pandas parameter style and
    name the handler, so Databricks feeds it Arrow batches as the embedded engine does.
    dbt-databricks 1.12.7 has no config for either (its databricks__scalar_function_python
    writes LANGUAGE PYTHON AS $$...$$ and warns that entry_point has no effect), and the
    project ships no Databricks adapter, so this override of its macro lives here.
#}
{% macro databricks__scalar_function_python(target_relation) %}
    {{ return(databricks_vectorized_python_udf_sql(model, target_relation)) }}
{% endmacro %}


{% macro databricks_vectorized_python_udf_sql(function_node, target_relation) %}
    {%- set arguments = [] -%}
    {%- for argument in function_node.arguments -%}
        {%- do arguments.append(argument.name ~ ' ' ~ argument.data_type) -%}
    {%- endfor -%}
    {%- set code = function_node.compiled_code or function_node.raw_code -%}
    {#- A function that imports packages beyond the runtime's (config `packages`) declares
        them: Databricks installs them for the function (the ENVIRONMENT clause, Databricks
        Runtime 16.2 and above, SQL warehouses). -#}
    {%- set packages = function_node.config.packages or [] -%}
create or replace function {{ target_relation }}({{ arguments | join(', ') }})
returns {{ function_node.returns.data_type }}
language python
{%- if packages %}
environment (dependencies = '{{ packages | tojson }}', environment_version = 'None')
{%- endif %}
parameter style pandas
handler '{{ function_node.config.entry_point }}'
as $$
{{ code }}
$$
{%- endmacro %}
