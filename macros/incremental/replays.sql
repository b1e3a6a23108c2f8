{% macro is_after_last_merged_batch(batch_column) %}
    {#- In an incremental run, true for rows of ingest batches newer than the newest one the
        model already holds; a full build takes every batch. A compile without introspection
        (`dbt compile --no-introspect`, no connection) cannot ask whether the table exists,
        so it renders the full build instead of failing in is_incremental()'s lookup. -#}
    {%- if flags.INTROSPECT is not sameas false and is_incremental() -%}
        {{ batch_column }} > (
            select coalesce(max(merged.ingest_batch_id), 0) from {{ this }} as merged
        )
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}


{% macro replay_rank(key_column) %}
    {#- 1 for the first copy of a line (earliest batch, then file and position), 2+ for its
        replays, which the merge models drop. -#}
    row_number() over (
        partition by {{ key_column }}
        order by ingest_batch_id, source_file, line_number
    )
{%- endmacro %}
