{#
    Schema drift: the relation's columns and types must be exactly those declared in its yml
    (name and data_type). Returns one row per difference, each naming the column, and logs
    the same as a warning line so the cause shows in the run output.
#}
{% test columns_match_declared(model) %}
    {#- It reads the columns, not the rows: never scoped to new batches (new_rows_scope). -#}
    {{ config(meta={'reads_rows': false}) }}
    {%- set problems = [] -%}
    {#- Under --empty (or --sample) the relation renders as a subquery, which neither
        `describe` nor a node lookup can take: the table itself is what is compared. -#}
    {%- set relation = model.incorporate(limit=none, event_time_filter=none) -%}
    {%- if execute and flags.INTROSPECT is not sameas false -%}
        {%- set declared = {} -%}
        {%- for column in columns_match_declared_node(relation).columns.values() -%}
            {%- do declared.update({column.name | lower: (column.data_type or '') | lower}) -%}
        {%- endfor -%}
        {%- set actual = {} -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do actual.update({column.name | lower: column.data_type | lower}) -%}
        {%- endfor -%}
        {%- for name, data_type in declared.items() -%}
            {%- if name not in actual -%}
                {%- do problems.append(('missing', name, data_type, '')) -%}
            {%- elif data_type and actual[name] != data_type -%}
                {%- do problems.append(('retyped', name, data_type, actual[name])) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for name, data_type in actual.items() if name not in declared -%}
            {%- do problems.append(('added', name, '', data_type)) -%}
        {%- endfor -%}
        {%- for drift, name, expected, found in problems -%}
            {{ log("schema drift in " ~ relation ~ ": column " ~ name ~ " " ~ drift
                ~ " (declared " ~ (expected or 'nothing') ~ ", found " ~ (found or 'nothing') ~ ")", info=True) }}
        {%- endfor -%}
    {%- endif %}

    {% if problems -%}
        select * from values
        {%- for drift, name, expected, found in problems %}
            ('{{ drift }}', '{{ name }}', '{{ expected }}', '{{ found }}'){{ ',' if not loop.last }}
        {%- endfor %}
        as drift(drift, column_name, declared_type, actual_type)
    {%- else -%}
        select
            cast(null as string) as drift,
            cast(null as string) as column_name,
            cast(null as string) as declared_type,
            cast(null as string) as actual_type
        where false
    {%- endif %}
{% endtest %}
