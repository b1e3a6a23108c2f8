{#
    Adding columns to a stored table on Sail, which has no ALTER TABLE ... ADD COLUMNS.
#}

{% macro sail_delta__alter_relation_add_remove_columns(relation, add_columns, remove_columns) %}
    {#- on_schema_change append_new_columns and sync_all_columns: new columns are added to
        the Delta table by the adapter (delta-rs), one commit. Delta cannot drop a column,
        which dbt-spark refuses the same way. -#}
    {%- if remove_columns -%}
        {{ exceptions.raise_compiler_error("Delta Lake does not support dropping columns from tables: " ~ relation ~ " would lose " ~ (remove_columns | map(attribute='name') | join(', '))) }}
    {%- endif -%}
    {%- if add_columns -%}
        {%- do adapter.add_delta_columns(relation, add_columns) -%}
    {%- endif -%}
{% endmacro %}
