{#
    Data tests read what is new (get_where_subquery.sql applies this scope to every data
    test). Every data test of the project once passed on every row of the batches up to
    the one the warehouse records as tested through (weblogs.build.state), with the project
    as it is now; a normal build then tests the rows of later batches only, so its tests
    cost what the new batches cost. A bad batch still fails: it is later than the mark, and
    the mark moves only when every test passed. A full check reads every row:
    `--vars '{full_check: true}'`, `--full-refresh`, a project changed since the mark, or a
    target that keeps no build state.

    How a relation's new rows are found (the `new_rows` meta of its yml, else the default):
    - by `ingest_batch_id` (the default where the relation has that column): later batches;
    - by a date that follows from the row's key (`by: event_date`): every row on or after
      the oldest date among the later batches' rows, read from the relation itself or from
      the model named in `from`. It holds every row sharing a key with a new one, so a
      uniqueness test still sees a new row that repeats an older key. With no new rows,
      none (a date past any; a null bound would make the engine read every file).
#}

{% macro new_rows_scope(relation) %}
    {#- The predicate selecting the relation's new rows, or '' to test every row; in a slice
        of a long backlog, rows of batches past the slice's are not yet built (bronze holds
        them), so they are left out too. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set node = node_of_relation(relation) -%}
    {%- set scope = rows_after_tested_mark(relation, node) -%}
    {%- if node is not none and 'ingest_batch_id' in node.columns and batch_ceiling() > 0 -%}
        {%- set up_to_ceiling = is_up_to_batch_ceiling('ingest_batch_id') -%}
        {{ return(scope ~ ' and ' ~ up_to_ceiling if scope else up_to_ceiling) }}
    {%- endif -%}
    {{ return(scope) }}
{% endmacro %}


{% macro rows_after_tested_mark(relation, node) %}
    {#- The predicate selecting the rows later than the tested mark, or '' for every row. -#}
    {%- set tested = tested_through_batch() -%}
    {%- if tested == 0 or node is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set new_rows = node.meta.get('new_rows') or {} -%}
    {%- if new_rows.get('by') -%}
        {%- set source = relation -%}
        {%- if new_rows.get('from') -%}
            {%- set source = relation_of_model(new_rows['from']) -%}
        {%- endif -%}
        {{ return(new_rows['by'] ~ ' >= ' ~ oldest_new_date(new_rows['by'], source, tested)) }}
    {%- elif 'ingest_batch_id' in node.columns -%}
        {{ return('ingest_batch_id > ' ~ tested) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}


{% macro is_in_new_batches(batch_column) %}
    {#- For a singular test: true for rows of batches later than the tested mark (every row
        on a full check), up to the slice's last batch (see new_rows_scope). -#}
    {%- set tested = tested_through_batch() -%}
    {%- set after_mark = batch_column ~ ' > ' ~ tested if tested > 0 else 'true' -%}
    {{ return(after_mark ~ ' and ' ~ is_up_to_batch_ceiling(batch_column) if batch_ceiling() > 0 else after_mark) }}
{% endmacro %}


{% macro oldest_new_date(date_column, relation, tested) %}
    {#- The oldest date of the relation's rows of batches after `tested`, as a scalar
        subquery; a date past any when there are none. -#}
    {{ return(
        "coalesce((select min(" ~ date_column ~ ") from " ~ relation
        ~ " where ingest_batch_id > " ~ tested ~ "), date'9999-12-31')"
    ) }}
{% endmacro %}


{% macro tested_through_batch() %}
    {#- 0 means: test every row. -#}
    {%- if not execute or var('full_check', false) or flags.FULL_REFRESH -%}
        {{ return(0) }}
    {%- endif -%}
    {{ return(adapter.dispatch('tested_through_batch')()) }}
{% endmacro %}


{% macro default__tested_through_batch() %}
    {#- Other engines keep no build state: every test reads every row. -#}
    {{ return(0) }}
{% endmacro %}
