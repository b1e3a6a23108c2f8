{#
    Persisted docs on Sail. Sail stores a view's comment and its columns' (CREATE VIEW ...
    (column COMMENT ...) COMMENT ..., replayed by every new process from the saved view),
    but not a table's: CREATE TABLE ... AS SELECT takes no COMMENT and ALTER TABLE ...
    CHANGE COLUMN ... COMMENT is not supported. A table whose docs are to be persisted
    stops with what to do, instead of Sail's own message.
#}

{% macro sail_delta__create_table_as(temporary, relation, compiled_code, language='sql') -%}
    {%- if not temporary -%}
        {%- do sail_delta_refuse_table_comment() -%}
    {%- endif -%}
    {{ return(spark__create_table_as(temporary, relation, compiled_code, language)) }}
{%- endmacro %}


{% macro sail_delta_refuse_table_comment() %}
    {%- if config.persist_relation_docs() and model.description -%}
        {{ exceptions.raise_compiler_error("persist_docs relation: Sail cannot store a table's comment (no COMMENT in CREATE TABLE AS SELECT); on sail_delta only views keep their docs, so set persist_docs.relation off for tables on this target") }}
    {%- endif -%}
{% endmacro %}


{% macro sail_delta__comment_clause() %}
    {#- Only a description makes a comment: dbt-spark writes `comment ''` without one. -#}
    {%- if model.description -%}
        {{ return(spark__comment_clause()) }}
    {%- endif -%}
{% endmacro %}


{% macro sail_delta__alter_column_comment(relation, column_dict) %}
    {%- if column_dict -%}
        {{ exceptions.raise_compiler_error("persist_docs columns: Sail cannot change the comment of a column of " ~ relation ~ " (no ALTER TABLE ... CHANGE COLUMN ... COMMENT); on sail_delta only views keep their column docs, so set persist_docs.columns off for tables on this target") }}
    {%- endif -%}
{% endmacro %}
