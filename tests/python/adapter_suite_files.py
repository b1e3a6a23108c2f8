"""Models, seeds and properties of the adapter suite's own test classes (adapter_suite.py)."""

from __future__ import annotations

# --- Cross-database macros --------------------------------------------------------------

# listagg on Spark is collect_list joined: no ORDER BY and no limit, so only the unordered
# forms are compared (on group 3, whose values are all the same, so that no order is assumed).
LISTAGG_UNORDERED_SQL = """
with data as (
    select * from {{ ref('data_listagg') }}
),

data_output as (
    select * from {{ ref('data_listagg_output') }}
),

calculate as (
    select
        group_col,
        {{ listagg('string_text', "', '") }} as actual,
        'comma_whitespace_unordered' as version
    from data
    where group_col = 3
    group by group_col

    union all

    select
        group_col,
        {{ listagg('distinct string_text', "','") }} as actual,
        'distinct_comma' as version
    from data
    where group_col = 3
    group by group_col

    union all

    select
        group_col,
        {{ listagg('string_text') }} as actual,
        'no_params' as version
    from data
    where group_col = 3
    group by group_col
)

select
    calculate.actual,
    data_output.expected
from calculate
left join data_output
    on calculate.group_col = data_output.group_col
    and calculate.version = data_output.version
"""

# The project's own exact answers (TestDateAndStringMacroAnswers). Each model lists
# cases with the macro's answer and the expected one, compared by dbt's assert_equal test.
DATEADD_ANSWERS_SQL = """
with cases as (
    select
        'day from a timestamp' as case_name,
        {{ dbt.dateadd('day', 1, "timestamp '2023-09-07 13:45:10'") }} as actual,
        timestamp '2023-09-08 13:45:10' as expected
    union all
    select
        'days back from a date',
        {{ dbt.dateadd('day', -10, "date '2023-03-05'") }},
        timestamp '2023-02-23 00:00:00'
    union all
    select
        'weeks',
        {{ dbt.dateadd('week', 2, "timestamp '2023-09-07 13:45:10'") }},
        timestamp '2023-09-21 13:45:10'
    union all
    select
        'month from a month end',
        {{ dbt.dateadd('month', 1, "timestamp '2023-01-31 08:00:00'") }},
        timestamp '2023-02-28 08:00:00'
    union all
    select
        'quarter into a leap year',
        {{ dbt.dateadd('quarter', 1, "timestamp '2023-11-30 00:00:00'") }},
        timestamp '2024-02-29 00:00:00'
    union all
    select
        'year back from a leap day',
        {{ dbt.dateadd('year', -1, "timestamp '2024-02-29 12:00:00'") }},
        timestamp '2023-02-28 12:00:00'
    union all
    select
        'hours over midnight',
        {{ dbt.dateadd('hour', 25, "timestamp '2023-09-07 13:45:10'") }},
        timestamp '2023-09-08 14:45:10'
    union all
    select
        'minutes back',
        {{ dbt.dateadd('minute', -90, "timestamp '2023-09-07 13:45:10'") }},
        timestamp '2023-09-07 12:15:10'
    union all
    select
        'seconds',
        {{ dbt.dateadd('second', 3600, "timestamp '2023-09-07 13:45:10'") }},
        timestamp '2023-09-07 14:45:10'
    union all
    select
        'milliseconds',
        {{ dbt.dateadd('millisecond', 1500, "timestamp '2023-09-07 13:45:10.250'") }},
        timestamp '2023-09-07 13:45:11.750'
    union all
    select
        'microseconds',
        {{ dbt.dateadd('microsecond', 5, "timestamp '2023-09-07 13:45:10.000001'") }},
        timestamp '2023-09-07 13:45:10.000006'
    union all
    select
        'an interval from a column',
        {{ dbt.dateadd('day', 'cast(id as int)', "timestamp '2023-12-31 23:59:59'") }},
        timestamp '2024-01-02 23:59:59'
    from (select 2 as id) as numbers
    union all
    select
        'null',
        {{ dbt.dateadd('day', 1, 'cast(null as timestamp)') }},
        cast(null as timestamp)
)

select * from cases
"""

LAST_DAY_ANSWERS_SQL = """
with cases as (
    select
        'month of a leap year' as case_name,
        {{ dbt.last_day("date '2020-02-10'", 'month') }} as actual,
        date '2020-02-29' as expected
    union all
    select
        'month with 31 days',
        {{ dbt.last_day("date '2021-12-01'", 'month') }},
        date '2021-12-31'
    union all
    select
        'quarter',
        {{ dbt.last_day("date '2018-05-02'", 'quarter') }},
        date '2018-06-30'
    union all
    select
        'year',
        {{ dbt.last_day("date '2018-01-02'", 'year') }},
        date '2018-12-31'
)

select * from cases
"""

SPLIT_PART_ANSWERS_SQL = """
with cases as (
    select
        'second part' as case_name,
        {{ dbt.split_part("'a|b|c'", "'|'", 2) }} as actual,
        'b' as expected
    union all
    select
        'last part',
        {{ dbt.split_part("'a|b|c'", "'|'", -1) }},
        'c'
    union all
    select
        'first part counted from the end',
        {{ dbt.split_part("'a|b|c'", "'|'", -3) }},
        'a'
    union all
    select
        'an empty part',
        {{ dbt.split_part("'x||z'", "'|'", 2) }},
        ''
    union all
    select
        'a part that is not there',
        {{ dbt.split_part("'a|b'", "'|'", 5) }},
        cast(null as string)
    union all
    select
        'a date split on its dashes',
        {{ dbt.split_part("'2023-09-07'", "'-'", 2) }},
        '09'
    union all
    select
        'a two-character delimiter, from the end',
        {{ dbt.split_part("'one..two..three'", "'..'", -2) }},
        'two'
    union all
    select
        'a column',
        {{ dbt.split_part('path', "'/'", -1) }},
        'index.html'
    from (select 'www/site/index.html' as path) as paths
)

select * from cases
"""

MACRO_ANSWERS_YML = """
models:
  - name: dateadd_answers
    data_tests:
      - assert_equal:
          actual: actual
          expected: expected
  - name: last_day_answers
    data_tests:
      - assert_equal:
          actual: actual
          expected: expected
  - name: split_part_answers
    data_tests:
      - assert_equal:
          actual: actual
          expected: expected
"""

# --- Data types -------------------------------------------------------------------------

FLOAT_SEED_TYPES_YML = """
seeds:
  - name: expected
    config:
      column_types:
        float_col: float
"""

INT_SEED_TYPES_YML = """
seeds:
  - name: expected
    config:
      column_types:
        int_col: int
"""

# --- Incremental strategies -------------------------------------------------------------

# The rows each strategy should leave after a first run of ids 1 and 2 and an incremental
# run of ids 2 (a new version) and 3.
EXPECTED_APPEND_CSV = """id,msg
1,hello
2,goodbye
2,yo
3,anyway
"""

EXPECTED_OVERWRITE_CSV = """id,msg
2,yo
3,anyway
"""

EXPECTED_UPSERT_CSV = """id,msg
1,hello
2,yo
3,anyway
"""

# merge_update_columns=['msg']: id 2 keeps the color of its first version.
EXPECTED_PARTIAL_UPSERT_CSV = """id,msg,color
1,hello,blue
2,yo,red
3,anyway,purple
"""


def incremental_model(config: str, columns: str = "msg") -> str:
    """A model whose first run selects ids 1 and 2 and whose incremental runs select 2 and 3."""
    first = {
        "msg": "select cast(1 as bigint) as id, 'hello' as msg\n"
        "    union all\n    select cast(2 as bigint) as id, 'goodbye' as msg",
        "msg, color": "select cast(1 as bigint) as id, 'hello' as msg, 'blue' as color\n"
        "    union all\n    select cast(2 as bigint) as id, 'goodbye' as msg, 'red' as color",
    }[columns]
    later = {
        "msg": "select cast(2 as bigint) as id, 'yo' as msg\n"
        "    union all\n    select cast(3 as bigint) as id, 'anyway' as msg",
        "msg, color": "select cast(2 as bigint) as id, 'yo' as msg, 'green' as color\n"
        "    union all\n    select cast(3 as bigint) as id, 'anyway' as msg, 'purple' as color",
    }[columns]
    return f"""{{{{ config(materialized='incremental', {config}) }}}}

{{% if is_incremental() %}}
    {later}
{{% else %}}
    {first}
{{% endif %}}
"""


INSERT_OVERWRITE_MODELS = {
    "overwrite_whole.sql": incremental_model(
        "incremental_strategy='insert_overwrite', file_format='parquet'"
    ),
}

PARTITION_OVERWRITE_MODELS = {
    "overwrite_partitions.sql": incremental_model(
        "incremental_strategy='insert_overwrite', partition_by='id', file_format='parquet'"
    ),
}

DELTA_STRATEGY_MODELS = {
    # No file format and no strategy: a Delta table, appended to.
    "default_strategy.sql": incremental_model("unique_key=none"),
    "append_delta.sql": incremental_model("incremental_strategy='append', file_format='delta'"),
    "merge_without_key.sql": incremental_model("incremental_strategy='merge', file_format='delta'"),
    "merge_on_id.sql": incremental_model(
        "incremental_strategy='merge', file_format='delta', unique_key='id'"
    ),
    "merge_some_columns.sql": incremental_model(
        "incremental_strategy='merge', file_format='delta', unique_key='id', "
        "merge_update_columns=['msg']",
        columns="msg, color",
    ),
}

BAD_STRATEGY_MODELS = {
    "unknown_format.sql": incremental_model("file_format='not_a_format'"),
    "merge_into_parquet.sql": incremental_model(
        "incremental_strategy='merge', file_format='parquet', unique_key='id'"
    ),
    "unknown_strategy.sql": incremental_model("incremental_strategy='not_a_strategy'"),
}

# Microbatch as dbt-spark runs it on Apache Spark: parquet, one partition per day,
# each batch an insert_overwrite of its days; no unique key.
MICROBATCH_PARQUET_SQL = """
{{ config(
    materialized='incremental',
    incremental_strategy='microbatch',
    event_time='event_time',
    batch_size='day',
    begin=modules.datetime.datetime(2020, 1, 1, 0, 0, 0),
    partition_by=['event_day'],
    file_format='parquet',
) }}

select
    *,
    cast(event_time as date) as event_day
from {{ ref('input_model') }}
"""

# --- Incremental models: schema changes, predicates -------------------------------------

# Columns named by a keyword and with a dash, added by a second incremental run.
SPECIAL_CHARS_MODELS = {
    "model_special.sql": """
{{ config(materialized='table') }}

select 1 as id, 'aa' as `select`, 10 as `field-with-dash`
union all select 2, 'bb', 20
union all select 3, 'cc', 30
union all select 4, 'dd', 40
""",
    "incremental_special.sql": """
{{ config(
    materialized='incremental',
    unique_key='id',
    on_schema_change='append_new_columns',
) }}

{% if is_incremental() %}
    select id, `select`, `field-with-dash`
    from {{ ref('model_special') }}
    where id not in (select id from {{ this }})
{% else %}
    select id, `select`
    from {{ ref('model_special') }}
    where id <= 2
{% endif %}
""",
    "incremental_special_target.sql": """
{{ config(materialized='table') }}

select
    id,
    `select`,
    case when id <= 2 then null else `field-with-dash` end as `field-with-dash`
from {{ ref('model_special') }}
""",
}

# incremental_predicates keep the stored id 2 out of the merge: its new version is inserted
# beside it, while id 1 is updated.
PREDICATES_MODEL_SQL = """
{{ config(materialized='incremental', unique_key='id') }}

{% if is_incremental() %}
    select cast(1 as bigint) as id, 'hey' as msg, 'blue' as color
    union all
    select cast(2 as bigint) as id, 'yo' as msg, 'green' as color
    union all
    select cast(3 as bigint) as id, 'anyway' as msg, 'purple' as color
{% else %}
    select cast(1 as bigint) as id, 'hello' as msg, 'blue' as color
    union all
    select cast(2 as bigint) as id, 'goodbye' as msg, 'red' as color
{% endif %}
"""

EXPECTED_PREDICATES_CSV = """id,msg,color
1,hey,blue
2,goodbye,red
2,yo,green
3,anyway,purple
"""

# --- Persisted docs ---------------------------------------------------------------------

PERSIST_DOCS_MODELS = {
    "table_model.sql": "{{ config(materialized='table') }}\nselect 1 as id, 'Joe' as name",
    "incremental_model.sql": (
        "{{ config(materialized='incremental') }}\nselect 1 as id, 'Joe' as name"
    ),
    "view_model.sql": (
        "{{ config(materialized='view') }}\n"
        "select id, count(*) as seen from {{ ref('table_model') }} group by id"
    ),
}


def _documented(name: str, kind: str, columns: tuple[str, ...]) -> str:
    described = {"id": "one row per id", "name": "who it is"}
    lines = [
        f"  - name: {name}",
        f'    description: "{kind} description, \'quoted\' and \\"double\\""',
        "    columns:",
    ]
    for column in columns:
        lines += [f"      - name: {column}", f"        description: {described[column]}"]
    return "\n".join(lines)


PERSIST_DOCS_YML = "\n".join(
    [
        "models:",
        _documented("table_model", "Table", ("id", "name")),
        _documented("incremental_model", "Incremental", ("id", "name")),
        _documented("view_model", "View", ("id",)),
        "seeds:",
        _documented("seed", "Seed", ("id", "name")),
        "",
    ]
)

# --- Contracts --------------------------------------------------------------------------


def spark_contract(properties_yml: str) -> str:
    """dbt's contract properties in Spark's type names (Spark has no `text`)."""
    return properties_yml.replace("data_type: text", "data_type: string")


# --- Columns and seed types -------------------------------------------------------------

CHILD_MODEL_SQL = "select 1 as id, 'first' as label, cast(2.5 as double) as score"

PARENT_MODEL_SQL = """
{%- set columns = adapter.get_columns_in_relation(ref('child')) -%}
select
    {% for column in columns -%}
    {{ adapter.quote(column.column) }}{{ ',' if not loop.last }}
    {% endfor -%}
from {{ ref('child') }}
"""

PAYMENTS_CSV = """id,amount,amount_usd,paid_at,paid_on
1,1000,10.00,2018-01-01 10:00:00,2018-01-01
2,2500,25.50,2018-01-05 23:59:59,2018-01-05
"""

PAYMENTS_TYPES_YML = """
seeds:
  - name: payments
    config:
      column_types:
        id: string
        amount: int
        amount_usd: decimal(20,2)
        paid_at: timestamp
        paid_on: date
"""
