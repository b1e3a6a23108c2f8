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


{% macro check_stored_window_length(relation) %}
    {#- A table of windows of another length cannot be merged into: say how to rebuild it. -#}
    {%- if execute -%}
        {%- set stored = run_query(
            'select max(unix_seconds(window_end) - unix_seconds(window_start)) from ' ~ relation
        ).columns[0].values()[0] -%}
        {%- if stored is not none and stored != traffic_window_seconds() -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " holds " ~ (stored // 60) ~ "-minute windows and traffic_window_minutes is "
                ~ var('traffic_window_minutes') ~ ": rebuild it with "
                ~ "`dbt build --select " ~ relation.identifier ~ " --full-refresh`"
            ) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
