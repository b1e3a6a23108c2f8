{#
    A status code the seed lacks keeps its rows: these give it a description and a class,
    the same wherever codes meet the seed (int_access_requests_enriched, requests_by_status).
#}
{% macro status_description(code_column, seed_description_column) -%}
    coalesce(
        {{ seed_description_column }},
        'Unknown status code ' || cast({{ code_column }} as string)
    )
{%- endmacro %}


{% macro status_class(code_column, seed_class_column) -%}
    coalesce(
        {{ seed_class_column }},
        cast(floor({{ code_column }} / 100) as string) || 'xx'
    )
{%- endmacro %}
