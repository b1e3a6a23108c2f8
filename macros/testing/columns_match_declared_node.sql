{% macro columns_match_declared_node(relation) %}
    {#- The source or seed/model node whose relation the test received. -#}
    {%- for node in graph.sources.values() | list + graph.nodes.values() | list -%}
        {%- if node.resource_type in ('source', 'seed', 'model', 'snapshot')
            and (node.identifier if node.resource_type == 'source' else node.alias) | lower == relation.identifier | lower
            and node.schema | lower == relation.schema | lower -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("columns_match_declared: no node declares " ~ relation) }}
{% endmacro %}
