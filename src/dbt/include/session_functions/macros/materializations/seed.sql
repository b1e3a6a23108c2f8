{#
    A seed's cell as an SQL literal, for both adapters' seed loading: null for an empty
    cell, else the value as a string literal (the statement casts it to the column's type).
#}

{% macro session_functions_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
