{#
    The merge strategy on Delta, for both adapters (Sail, and Apache Spark with Delta Lake):
    this plugin sits in both chains, before the engine's, so one macro serves both.
    dbt-spark's MERGE always updates matched rows. Log rows are immutable: a replayed line is
    the same request, so the row first stored is kept untouched (no file is rewritten for it)
    when the model sets `skip_matched_step: true`, the same config dbt-databricks reads.

    `merge_lower_bound_column` bounds the target rows the merge reads: only those at or after
    the oldest value of that column among the incoming rows (merge_lower_bound_predicate, a
    root-project macro: it also logs late arrivals against the project's lookback var). It
    is exact when the column is a function of the unique key (event_date is: the key
    identifies the line, the line its time), so no match is ever missed, and a late file
    simply widens the scan to its own oldest day instead of being dropped.
#}
{% macro session_functions__get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) %}
    {%- set predicates = [] if incremental_predicates is none else [] + incremental_predicates -%}
    {%- set unique_keys = [unique_key] if unique_key is string else (unique_key or []) -%}
    {%- for key in unique_keys -%}
        {%- do predicates.append('DBT_INTERNAL_SOURCE.' ~ key ~ ' = DBT_INTERNAL_DEST.' ~ key) -%}
    {%- endfor -%}
    {%- set bound_column = config.get('merge_lower_bound_column') -%}
    {%- if bound_column -%}
        {%- do predicates.append(merge_lower_bound_predicate(target, source, bound_column)) -%}
    {%- endif -%}
    {%- if not predicates -%}
        {%- do predicates.append('false') -%}
    {%- endif -%}
    {%- set update_columns = get_merge_update_columns(
        config.get('merge_update_columns'),
        config.get('merge_exclude_columns'),
        adapter.get_columns_in_relation(target),
    ) -%}

    merge into {{ target }} as DBT_INTERNAL_DEST
    using {{ source }} as DBT_INTERNAL_SOURCE
    on {{ predicates | join(' and ') }}
    {%- if not config.get('skip_matched_step', false) %}
    when matched then update set
        {%- if update_columns %}
        {%- for column_name in update_columns %}
        {{ column_name }} = DBT_INTERNAL_SOURCE.{{ column_name }}{{ ',' if not loop.last }}
        {%- endfor %}
        {%- else %} *
        {%- endif %}
    {%- endif %}
    when not matched then insert *
{% endmacro %}
