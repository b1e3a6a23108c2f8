{#
    Contract constraints on Delta, for both adapters.
#}

{% macro session_functions__alter_column_set_constraints(relation, column_dict, held_are_checked=false) %}
    {#- A contract's not_null, as a Delta CHECK constraint (`column is not null`), checked
        against the stored rows when it is added and on every later write, as Delta checks
        a NOT NULL column; it stays in the table's log for any other Delta reader.
        dbt-spark's ALTER TABLE ... CHANGE COLUMN ... SET NOT NULL runs on neither engine:
        Sail does not support it, and Spark 4.2 with Delta Lake 4.4 refuses it ("Cannot
        change nullable column to non-nullable"). Other column constraints are warned of,
        as by dbt-spark.
        A constraint the table already holds is dropped first, then added again, so that
        the rows just written are checked: Sail keeps a table's constraints across
        CREATE OR REPLACE without checking the rows that replaced the old ones, and
        adding a constraint the table holds fails ("already exists"). Where the create
        itself wrote the constraints and checked its rows against them (held_are_checked:
        Spark, spark_connect__tblproperties_clause), a constraint the table holds is kept. -#}
    {%- set wanted = delta_not_null_constraints(column_dict, warn=true) -%}
    {%- set held = adapter.delta_check_constraints(relation) if wanted else [] -%}
    {%- for name, quoted_name in wanted -%}
        {%- if name | lower not in held or not held_are_checked -%}
            {%- if name | lower in held -%}
                {%- do adapter.drop_delta_check_constraint(relation, name) -%}
            {%- endif -%}
            {% call statement() %}
                alter table {{ relation }} add constraint {{ name }} check ({{ quoted_name }} is not null)
            {% endcall %}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{% macro delta_not_null_constraints(column_dict, warn=false) %}
    {#- The Delta CHECK constraints that stand for a contract's not_null constraints, as
        (name, quoted column) pairs; with warn, other column constraints are warned of. -#}
    {%- set wanted = [] -%}
    {%- for column_name in column_dict -%}
        {%- set column = column_dict[column_name] -%}
        {%- set quoted_name = adapter.quote(column_name) if column['quote'] else column_name -%}
        {%- for constraint in column['constraints'] -%}
            {%- if constraint.type != 'not_null' -%}
                {%- if warn -%}
                    {{ exceptions.warn('Invalid constraint for column ' ~ column_name ~ '. Only `not_null` is supported.') }}
                {%- endif -%}
            {%- else -%}
                {%- set name = 'not_null_' ~ (column_name if modules.re.match('^[A-Za-z0-9_]+$', column_name) else local_md5(column_name)) -%}
                {%- do wanted.append((name, quoted_name)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(wanted) }}
{% endmacro %}
