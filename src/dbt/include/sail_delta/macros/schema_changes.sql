{#
    Changing a stored table's columns and constraints on Sail, which has no ALTER TABLE ...
    ADD COLUMNS and cannot ALTER a column's nullability.
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


{% macro sail_delta__alter_column_set_constraints(relation, column_dict) %}
    {#- A contract's not_null, as a Delta CHECK constraint (`column is not null`): Sail
        checks it against the stored rows when it is added and on every later write, as
        Delta checks a NOT NULL column, and it stays in the table's log for any other
        Delta reader. dbt-spark's ALTER TABLE ... CHANGE COLUMN ... SET NOT NULL is not
        supported by Sail. Other column constraints are warned of, as by dbt-spark. -#}
    {%- for column_name in column_dict -%}
        {%- set column = column_dict[column_name] -%}
        {%- set quoted_name = adapter.quote(column_name) if column['quote'] else column_name -%}
        {%- for constraint in column['constraints'] -%}
            {%- if constraint.type != 'not_null' -%}
                {{ exceptions.warn('Invalid constraint for column ' ~ column_name ~ '. Only `not_null` is supported.') }}
            {%- else -%}
                {%- set name = 'not_null_' ~ (column_name if modules.re.match('^[A-Za-z0-9_]+$', column_name) else local_md5(column_name)) -%}
                {% call statement() %}
                    alter table {{ relation }} add constraint {{ name }} check ({{ quoted_name }} is not null)
                {% endcall %}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{% endmacro %}
