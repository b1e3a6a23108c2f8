{% test row_checks(model, not_null=[], unique=none, unique_combination=none, accepted_values={}, matches_pattern={}) %}
{#- A relation's row-level checks in one query: one read of the rows instead of one per
    check, which is what a data test costs most of on Spark (each query's analysis, Delta
    snapshot and job) and a good part of it on the embedded engine. The test returns one
    row per check that failed, its name and how many rows broke it; dbt counts the
    failing checks, and the test materialization (macros/testing/test_materialization.sql)
    names each of them in the build's output, so a failure still says which check and
    column.

    Each check means what dbt's test of that name means:
    - not_null: [columns]: rows where the column is null;
    - unique: column or expression: a value more than one row holds, nulls ignored (the
      rows beyond each value's first are counted);
    - unique_combination: [columns]: a combination of the columns more than one row holds,
      nulls counting as equal as group by counts them (a merge never matches a null key,
      so two such rows are a duplicate the merge let in). One key per test, unique or
      unique_combination: a second key would need a second grouping, so a second read;
    - accepted_values: {column: [values]} or {column: {values: [...], quote: false}}: rows
      whose non-null value is not listed;
    - matches_pattern: {column: regex}: rows whose non-null value does not match.

    Like every data test it reads the relation's new rows after a full check
    (get_where_subquery.sql). Scoped so, a uniqueness check still proves the key unique
    over the whole relation where no stored row can share a key with a new row, or where
    all rows that can are new rows too:
    - the key includes the column rows are scoped by (ingest_batch_id, the default scope):
      every row of a new row's key is then a new row, and read;
    - the model is merged on this key without a merge_lower_bound_column: a new row whose
      key is stored meets it and is skipped or updates it, never inserted beside it, so
      only duplicates among the rows inserted together remain, and those are new rows;
    - the relation's `new_rows` scope reaches back to every row a new key can repeat.
    Each use in a yml says which case it is. -#}
{%- set checks = [] -%}
{%- for column in not_null -%}
    {%- do checks.append(('not_null(' ~ column ~ ')', 'count_if(' ~ column ~ ' is null)')) -%}
{%- endfor -%}
{%- for column, accepted in accepted_values.items() -%}
    {%- set values = accepted['values'] if accepted is mapping else accepted -%}
    {%- set quote = accepted.get('quote', true) if accepted is mapping else true -%}
    {%- set listed = [] -%}
    {%- for value in values -%}
        {%- do listed.append("'" ~ value ~ "'" if quote else value | string) -%}
    {%- endfor -%}
    {%- do checks.append((
        'accepted_values(' ~ column ~ ')',
        'count_if(' ~ column ~ ' not in (' ~ listed | join(', ') ~ '))'
    )) -%}
{%- endfor -%}
{%- for column, pattern in matches_pattern.items() -%}
    {%- do checks.append((
        'matches_pattern(' ~ column ~ ')',
        'count_if(not ' ~ column ~ " rlike '" ~ pattern ~ "')"
    )) -%}
{%- endfor -%}
{#- The key check, (name, grouping columns, which groups are keys): the rows are grouped
    by the key, and a key held by n rows counts n - 1 failing rows (a unique value's nulls
    are no key). -#}
{%- set key = none -%}
{%- if unique is not none and unique_combination is not none -%}
    {{ exceptions.raise_compiler_error(
        'row_checks on ' ~ model ~ ' names two keys; one unique or unique_combination per '
        ~ 'test (each key is one grouping of the rows)'
    ) }}
{%- elif unique is not none -%}
    {%- if unique is not string -%}
        {{ exceptions.raise_compiler_error(
            'row_checks on ' ~ model ~ ': unique takes one column or expression, not ' ~ unique
        ) }}
    {%- endif -%}
    {%- set key = ('unique(' ~ unique ~ ')', [unique], unique ~ ' is not null') -%}
{%- elif unique_combination is not none -%}
    {%- set key = (
        'unique_combination(' ~ unique_combination | join(', ') ~ ')', unique_combination, 'true'
    ) -%}
{%- endif -%}
{%- if not checks and key is none -%}
    {{ exceptions.raise_compiler_error('row_checks on ' ~ model ~ ' names no check') }}
{%- endif -%}
{%- set names = checks | map(attribute=0) | list + ([key[0]] if key else []) -%}
{#- Each check's failing rows, counted in one read: per key when there is one (the other
    checks' counts summed over the keys), then one row per check, exploded from the single
    row of counts. An aggregate over the rows with count(distinct ...) would read them once
    too, but engines run a distinct count beside other aggregates on one thread. -#}
select
    failed.check_name,
    failed.failing_rows
from (
    select
        explode(array(
            {%- for name in names %}
            named_struct('check_name', '{{ name | replace("'", "\\'") }}', 'failing_rows', c{{ loop.index }}){{ ',' if not loop.last }}
            {%- endfor %}
        )) as failed
    from (
        select
            {%- for _ in checks %}
            sum(c{{ loop.index }}) as c{{ loop.index }},
            {%- endfor %}
            {%- if key %}
            sum(case when is_key and key_rows > 1 then key_rows - 1 else 0 end)
                as c{{ checks | length + 1 }}
            {%- else %}
            0 as no_key
            {%- endif %}
        from (
            select
                {%- for _, count in checks %}
                {{ count }} as c{{ loop.index }},
                {%- endfor %}
                {%- if key %}
                {{ key[2] }} as is_key,
                {%- endif %}
                count(*) as key_rows
            from {{ model }}
            {%- if key %}
            group by {{ key[1] | join(', ') }}
            {%- endif %}
        ) as per_key
    ) as counted
) as per_check
where failed.failing_rows > 0
{% endtest %}
