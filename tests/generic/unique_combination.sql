{% test unique_combination(model, columns) %}
{#- One row per combination of the columns that more than one row holds, with how many do.
    Nulls count as equal, as group by counts them: a merge never matches a null key, so two
    such rows are a duplicate the merge let in.

    After a full check, a test reads only the model's new rows (get_where_subquery.sql).
    Scoped so, this test still proves the key unique over the whole model where no stored
    row can share a key with a new row, or where all rows that can are new rows too:
    - the key includes the column rows are scoped by (ingest_batch_id, the default scope):
      every row of a new row's key is then a new row, and read;
    - the model is merged on this key without a merge_lower_bound_column: a new row whose
      key is stored meets it and is skipped or updates it, never inserted beside it, so
      only duplicates among the rows inserted together remain, and those are new rows.
    Where neither holds (a bounded merge on a key its bound does not follow from), the
    model needs a `new_rows` scope that reaches back to every row a new key can repeat.
    Each use in a yml says which case it is. -#}
select
    {{ columns | join(',\n    ') }},
    count(*) as row_count
from {{ model }}
group by
    {{ columns | join(',\n    ') }}
having count(*) > 1
{% endtest %}
