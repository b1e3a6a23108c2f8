{% macro relation_of_model(name) %}
    {#- The relation a model builds, found by name where a ref would be a cycle or a
        dependency the model does not have (a test's scope, the monitors' build mark). -#}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
        {{ return(api.Relation.create(schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("relation_of_model: no model named " ~ name) }}
{% endmacro %}
