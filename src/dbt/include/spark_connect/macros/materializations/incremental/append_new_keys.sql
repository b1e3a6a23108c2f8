{#
    Parquet has no MERGE, so on Apache Spark the merge models use dbt-spark's `append`
    strategy, which inserts every row of the temporary view of new rows. For an incremental
    model that sets a unique_key and `skip_matched_step: true` (rows already stored stay
    untouched, as in the Delta merge) that view holds only the keys the table does not hold
    yet: the append then inserts the rows a merge that skips matched keys inserts, so a rerun
    or a replayed batch adds nothing. Every other temporary view is dbt-spark's own.
#}
{% macro spark_connect__create_temporary_view(relation, compiled_code) -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set unique_keys = [unique_key] if unique_key is string else (unique_key or []) -%}
    {%- set skips_stored_keys = model.config.materialized == 'incremental'
        and (config.get('incremental_strategy') or 'append') == 'append'
        and config.get('skip_matched_step', false)
        and unique_keys -%}
    {%- if not skips_stored_keys -%}
        {{ return(spark__create_temporary_view(relation, compiled_code)) }}
    {%- endif -%}
    create or replace temporary view {{ relation }} as
    select new_rows.*
    from ({{ compiled_code }}) as new_rows
    where not exists (
        select 1
        from {{ this }} as stored_rows
        where
            {%- for key in unique_keys %}
            stored_rows.{{ key }} = new_rows.{{ key }}{{ ' and' if not loop.last }}
            {%- endfor %}
    )
{%- endmacro %}
