{#
    dbt-spark's MERGE always updates matched rows. Log rows are immutable: a replayed line is
    the same request, so the row first stored is kept untouched (no file is rewritten for it)
    when the model sets `skip_matched_step: true`, the same config dbt-databricks reads.
#}
{% macro spark__get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) %}
    {%- set predicates = [] if incremental_predicates is none else [] + incremental_predicates -%}
    {%- set unique_keys = [unique_key] if unique_key is string else (unique_key or []) -%}
    {%- for key in unique_keys -%}
        {%- do predicates.append('DBT_INTERNAL_SOURCE.' ~ key ~ ' = DBT_INTERNAL_DEST.' ~ key) -%}
    {%- endfor -%}
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
