{% macro is_after_built_mark(batch_column) %}
    {#- For an incremental model without a batch column of its own (its contract has none): in
        an incremental run, true for rows of ingest batches newer than the one its table is
        built through, as the warehouse's build state records it. Where no build state is
        kept (mark 0), or on a full build, every batch: the merge on the model's key makes
        rows taken in twice harmless. -#}
    {%- if flags.INTROSPECT is not sameas false and is_incremental() -%}
        {%- set mark = built_mark(this) -%}
        {{ return(batch_column ~ ' > ' ~ mark if mark > 0 else 'true') }}
    {%- endif -%}
    {{ return('true') }}
{% endmacro %}


{% macro built_mark(relation) %}
    {{ return(adapter.dispatch('built_mark')(relation)) }}
{% endmacro %}


{% macro default__built_mark(relation) %}
    {#- Other engines keep no build state per table. -#}
    {{ return(0) }}
{% endmacro %}
