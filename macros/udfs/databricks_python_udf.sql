{#
    dbt-databricks renders a Python function node as a row-at-a-time UDF and ignores
    `entry_point`. Our functions are vectorized: declare the pandas parameter style and
    name the handler, so Databricks feeds it Arrow batches as the embedded engine does.
#}
{% macro databricks__scalar_function_python(target_relation) %}
    create or replace function {{ target_relation.render() }} ({{ formatted_scalar_function_args_sql() }})
    returns {{ model.returns.data_type }}
    language python
    parameter style pandas
    handler '{{ model.config.get("entry_point") }}'
    as $$
{{ model.compiled_code }}
$$
{% endmacro %}
