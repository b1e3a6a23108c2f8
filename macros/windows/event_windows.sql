{#
    Tumbling event-time windows: aligned on the epoch, var('traffic_window_minutes') long.
    Epoch arithmetic on the exact event seconds, so every engine puts a request in the same
    window (and a request on a boundary in the window it opens).
#}

{% macro traffic_window_seconds() %}
    {%- set minutes = var('traffic_window_minutes') -%}
    {%- if minutes is not number or minutes <= 0 or minutes != minutes | int -%}
        {{ exceptions.raise_compiler_error(
            "var traffic_window_minutes must be a whole number of minutes above 0, not " ~ minutes
        ) }}
    {%- endif -%}
    {{ return(minutes * 60) }}
{% endmacro %}


{% macro event_window_start_epoch(epoch_column) -%}
    cast(floor({{ epoch_column }} / {{ traffic_window_seconds() }}) as bigint)
    * {{ traffic_window_seconds() }}
{%- endmacro %}


{% macro reads_stored_rows() %}
    {#- Whether the model reads its own table this run: an incremental run with a connection.
        A compile without introspection (`dbt compile --no-introspect`) cannot look the table
        up, so it renders the full build, as is_after_last_merged_batch does. -#}
    {{ return(flags.INTROSPECT is not sameas false and is_incremental()) }}
{% endmacro %}


{% macro stored_windows(relation) %}
    {#- What an incremental run of traffic_by_window needs to know of its stored windows, in
        one query (on Spark each query of a table is a job and a Delta snapshot, 0.6 to 3 s
        in a +1% build; three asked this apart): their length, the newest batch merged
        (kept for is_after_last_merged_batch) and the start of the oldest window not final.
        Stops the build, with the command to rebuild, when the length is not
        var('traffic_window_minutes'). None before execution. -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select
            max(unix_seconds(window_end) - unix_seconds(window_start)) as window_seconds,
            coalesce(max(ingest_batch_id), 0) as newest_batch,
            min(case when not is_final then unix_seconds(window_start) end) as oldest_open_window
        from {{ relation }}
    {%- endset -%}
    {%- set stored = run_query(query).rows[0] -%}
    {%- if stored[0] is not none and stored[0] != traffic_window_seconds() -%}
        {{ exceptions.raise_compiler_error(
            relation ~ " holds " ~ (stored[0] // 60) ~ "-minute windows and traffic_window_minutes is "
            ~ var('traffic_window_minutes') ~ ": rebuild it with "
            ~ "`dbt build --select " ~ relation.identifier ~ " --full-refresh`"
        ) }}
    {%- endif -%}
    {%- do newest_merged_batch(known=stored[1]) -%}
    {{ return({'oldest_open_window': stored[2]}) }}
{% endmacro %}


{% macro oldest_recomputed_window_epoch(requests_relation, stored) %}
    {#- The start of the oldest window an incremental run of traffic_by_window recomputes:
        the window of the oldest request in the batches it merges, or the oldest stored
        window not final yet (`stored`, from stored_windows); none before execution or when
        nothing is recomputed. Every request a recomputed window counts is at or after it,
        so the run can read only those: with the bound as a literal the engine skips the
        older files by their statistics, where the MERGE read every stored request (2.4 s
        of a +1% build at 16M stored lines; 0.2 s bounded). -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select {{ event_window_start_epoch('min(event_epoch_seconds)') }} as oldest_window_start
        from {{ requests_relation }}
        where {{ is_after_last_merged_batch('ingest_batch_id') }}
    {%- endset -%}
    {%- set starts = [run_query(query).columns[0].values()[0], stored['oldest_open_window']]
        | reject('none') | map('int') | list -%}
    {{ return(starts | min if starts else none) }}
{% endmacro %}
