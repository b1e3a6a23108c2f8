{#
    A model with its own schema lives in exactly that schema (the raw layer in
    var('raw_schema'), where the source looks for it), not in "<target schema>_<schema>".
#}
{% macro generate_schema_name(custom_schema_name, node) %}
    {{ return(target.schema if custom_schema_name is none else custom_schema_name | trim) }}
{% endmacro %}
