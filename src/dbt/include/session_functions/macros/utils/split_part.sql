{#
    dbt.split_part for both adapters: parts counted from 1, a negative part from the end, as
    dbt-spark counts them.

    dbt-spark indexes the split with `[...]`. Sail takes only a literal there ("extraction
    must be a literal"), so a negative part, whose index is computed, failed on the embedded
    engine; and with ANSI mode on (Spark 4's default, and Sail's) a part that is not there
    stops the query. get() takes any index and returns null for a missing part, on both.
    A negative part counts the pieces with size(): dbt-spark counts the delimiter's
    characters instead, which is the same for the one-character delimiters it supports.
#}

{% macro session_functions__split_part(string_text, delimiter_text, part_number) %}
    {%- if part_number is not integer -%}
        {{ exceptions.raise_compiler_error("split_part: the part number must be an integer literal, got " ~ part_number) }}
    {%- endif -%}
    {#- split() takes a regular expression: a delimiter that is not a letter or digit (or _)
        is escaped, as dbt-spark escapes it. -#}
    {%- set pieces -%}
        split(
            {{ string_text }},
            case
                when regexp_extract({{ delimiter_text }}, '([^A-Za-z0-9])(.*)', 1) != '_'
                    then concat('\\', {{ delimiter_text }})
                else {{ delimiter_text }}
            end
        )
    {%- endset -%}
    {%- if part_number >= 0 -%}
        get({{ pieces }}, {{ [part_number - 1, 0] | max }})
    {%- else -%}
        get({{ pieces }}, size({{ pieces }}) {{ part_number }})
    {%- endif -%}
{% endmacro %}
