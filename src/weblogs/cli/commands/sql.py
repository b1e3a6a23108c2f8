"""`weblogs sql`: one read-only query against the lakehouse, printed as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import sys

from weblogs.cli.dbt import first_line
from weblogs.cli.output import print_rows
from weblogs.cli.readonly import check_read_only, with_table_keyword
from weblogs.errors import UsageError

NOT_FOUND = "TABLE_OR_VIEW_NOT_FOUND"


def query(spark, sql: str) -> tuple[list[str], list[tuple]]:  # spark: a SparkSession
    """The column names and the rows of one result. The names come with the rows: asked of
    the frame, they were a second analysis of the query, which a build replacing the table
    with other columns in between answered with the new names for the old rows (a row with
    fewer values than names)."""
    frame = spark.sql(sql)
    rows = frame.collect()
    columns = list(rows[0].__fields__) if rows else frame.columns
    return columns, [tuple(row) for row in rows]


def read_models_schema(spark, schema: str) -> None:
    """Unqualified table names resolve in the models' schema, as in dbt's models."""
    if spark.catalog.databaseExists(schema):
        spark.catalog.setCurrentDatabase(schema)


def tables_hint(spark) -> str:
    """The tables there are, schema by schema, for an error about a table that is not."""
    listed = []
    for database in sorted(spark.catalog.listDatabases(), key=lambda found: found.name):
        names = sorted(table.name for table in spark.catalog.listTables(database.name))
        if names:
            listed.append(f"{database.name}: {', '.join(names)}")
    if not listed:
        return "no tables yet: land logs with `weblogs ingest` and build with `weblogs build`"
    return "tables in " + "; ".join(listed)


def sql(options: argparse.Namespace) -> int:
    from pyspark.errors import PySparkException

    try:
        check_read_only(options.query)
    except UsageError as refused:
        print(f"weblogs sql: {refused}", file=sys.stderr)
        return 2
    statement = with_table_keyword(options.query)
    spark = options.target.session(options.warehouse)
    read_models_schema(spark, options.target.schema)
    try:
        try:
            columns, rows = query(spark, statement)
        except PySparkException:
            # A catalog restored when the command started may miss a table a build created
            # since, or know one a build replaced with other columns: look again, once.
            if not options.target.refresh_catalog(spark, options.warehouse):
                raise
            columns, rows = query(spark, statement)
    except PySparkException as error:
        message = first_line(error)
        if NOT_FOUND in str(error):
            message += f" ({tables_hint(spark)})"
        print(f"weblogs sql: {message}", file=sys.stderr)
        return 1
    print_rows(columns, rows, options.format, options.max_chars)
    return 0
