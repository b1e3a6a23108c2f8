{% macro is_after_last_merged_batch(batch_column) %}
    {#- In an incremental run, true for rows of ingest batches newer than the newest one the
        model already holds; a full build takes every batch. A compile without introspection
        (`dbt compile --no-introspect`, no connection) cannot ask whether the table exists,
        so it renders the full build instead of failing in is_incremental()'s lookup.
        The newest batch is looked up first and written as a literal: the engine skips the
        files whose statistics hold only older batches, which a subquery in the filter did
        not let it do (staging read all of bronze: 1.8 s of a +1% build at 16M lines, 0.55 s
        with the literal). It is looked up once per rendering of the model: a model that
        filters twice (traffic_by_window, the visitor marts) asked twice, a Spark query of
        0.3 to 1 s each. -#}
    {%- if flags.INTROSPECT is not sameas false and is_incremental() -%}
        {{ batch_column }} > {{ newest_merged_batch() }}
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}


{% macro newest_merged_batch(known=none) %}
    {#- The newest ingest batch the incremental model holds, asked once per rendering of the
        model; `known`: the value, read with other facts of the table by the caller. `model`
        is this rendering's own copy of the node, so the value lives as long as the
        rendering. -#}
    {%- if known is not none -%}
        {%- do model.update({'weblogs_newest_merged_batch': known}) -%}
    {%- elif 'weblogs_newest_merged_batch' not in model -%}
        {%- do model.update({'weblogs_newest_merged_batch': run_query(
            'select coalesce(max(ingest_batch_id), 0) from ' ~ this
        ).columns[0].values()[0]}) -%}
    {%- endif -%}
    {{ return(model['weblogs_newest_merged_batch']) }}
{% endmacro %}


{% macro replay_rank(key_column) %}
    {#- 1 for the first copy of a line (earliest batch, then file and position), 2+ for its
        replays, which the merge models drop. -#}
    row_number() over (
        partition by {{ key_column }}
        order by ingest_batch_id, source_file, line_number
    )
{%- endmacro %}
