{#
    A build of a long backlog runs in slices: `weblogs build` gives each dbt invocation the
    newest ingest batch it may take from bronze, so one invocation holds at most a slice of
    the backlog in memory. Staging reads bronze up to that batch, and tests that read
    bronze stop there too; every other table holds only what staging passed on.
#}

{% macro batch_ceiling() %}
    {#- The newest ingest batch this invocation builds from bronze; 0: every batch. -#}
    {{ return(adapter.dispatch('batch_ceiling')()) }}
{% endmacro %}


{% macro default__batch_ceiling() %}
    {#- Other engines are built in one invocation. -#}
    {{ return(0) }}
{% endmacro %}


{% macro is_up_to_batch_ceiling(batch_column) %}
    {#- True for rows of batches up to the ceiling (every row when there is none). -#}
    {%- set ceiling = batch_ceiling() -%}
    {{ return(batch_column ~ ' <= ' ~ ceiling if ceiling > 0 else 'true') }}
{% endmacro %}
