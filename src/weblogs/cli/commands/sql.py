"""`weblogs sql`: a query against the lakehouse, printed as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from weblogs.cli.output import print_rows
from weblogs.cli.targets import Target, session


def query(sql: str, warehouse: Path, target: Target) -> tuple[list[str], list[tuple]]:
    spark = session(warehouse, target)
    frame = spark.sql(sql)
    rows = frame.collect()
    return frame.columns, [tuple(row) for row in rows]


def sql(options: argparse.Namespace) -> int:
    from pyspark.errors import PySparkException

    try:
        columns, rows = query(options.query, options.warehouse, options.target)
    except PySparkException as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"weblogs sql: {first_line}", file=sys.stderr)
        return 1
    print_rows(columns, rows, options.format)
    return 0
