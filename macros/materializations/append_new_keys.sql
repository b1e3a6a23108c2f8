{#
    dbt-spark's `append` strategy inserts every new row. For a model with a unique_key this
    inserts only the keys the table does not hold yet: on parquet, which has no MERGE, that
    gives the rows a Delta merge with `skip_matched_step` gives, so a rerun or a replayed
    batch adds nothing. Without a unique_key it is a plain append.
#}
{% macro get_insert_into_sql(source_relation, target_relation) %}
    {%- set dest_columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set unique_keys = [unique_key] if unique_key is string else (unique_key or []) -%}
    insert into table {{ target_relation }}
    select
        {%- for column in dest_columns %}
        new_rows.{{ column.quoted }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ source_relation }} as new_rows
    {%- if unique_keys %}
    where not exists (
        select 1
        from {{ target_relation }} as stored_rows
        where
            {%- for key in unique_keys %}
            stored_rows.{{ key }} = new_rows.{{ key }}{{ ' and' if not loop.last }}
            {%- endfor %}
    )
    {%- endif %}
{% endmacro %}
