{% macro node_of_relation(relation) %}
    {#- The source, seed, model or snapshot node whose relation a test received, or none. -#}
    {%- for node in graph.sources.values() | list + graph.nodes.values() | list -%}
        {%- if node.resource_type in ('source', 'seed', 'model', 'snapshot')
            and (node.identifier if node.resource_type == 'source' else node.alias) | lower == relation.identifier | lower
            and node.schema | lower == relation.schema | lower -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}


{% macro columns_match_declared_node(relation) %}
    {#- The source or seed/model node whose relation the test received. -#}
    {%- set node = node_of_relation(relation) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error("columns_match_declared: no node declares " ~ relation) }}
    {%- endif -%}
    {{ return(node) }}
{% endmacro %}
