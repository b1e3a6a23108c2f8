{#
    Contract constraints on Apache Spark with Delta Lake: written by the statement that
    creates the table, not added after it.
#}

{% macro spark_connect__tblproperties_clause() %}
    {#- The model's tblproperties and, for a contract's not_null constraints, Delta's CHECK
        constraints as the properties Delta keeps them in (`delta.constraints.<name>`).
        Delta checks the rows the CREATE OR REPLACE writes against them, so a null fails the
        statement and the table stays as it was. Added afterwards, each constraint was a
        commit of its own that read the rows again (requests_by_status: 4.5 s of its
        7.6 s in a +1% build at 1M lines), and between the create and the checks readers
        saw a table without them. -#}
    {%- set properties = {} -%}
    {%- do properties.update(config.get('tblproperties') or {}) -%}
    {%- set contract_config = config.get('contract') -%}
    {%- if contract_config and contract_config.enforced and model.resource_type == 'model' -%}
        {%- for name, quoted_name in delta_not_null_constraints(model.columns) -%}
            {%- do properties.update({'delta.constraints.' ~ name: quoted_name ~ ' is not null'}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if properties %}
    tblproperties (
        {%- for name in properties %}
        '{{ name }}' = '{{ properties[name] }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )
    {%- endif %}
{%- endmacro %}


{% macro spark_connect__alter_column_set_constraints(relation, column_dict) %}
    {{ session_functions__alter_column_set_constraints(relation, column_dict, held_are_checked=true) }}
{% endmacro %}
