"""`weblogs compact`: compact the small files of the Delta tables and vacuum old ones."""

from __future__ import annotations

import argparse

from weblogs.catalog import delta_tables
from weblogs.cli.errors import UsageError
from weblogs.cli.targets import require_delta_target, session
from weblogs.cli.warehouse import hold
from weblogs.compaction import compact_warehouse


def compact(options: argparse.Namespace) -> int:
    target = options.target
    require_delta_target(target, "compact")
    spark = None
    if target.type == "spark_connect":
        from weblogs import spark_tables

        spark = session(options.warehouse, target)
        known = spark_tables.delta_tables(spark, [options.raw_schema, target.schema])
    else:
        known = [f"{schema}.{table}" for schema, table, _ in delta_tables(options.warehouse)]
    unknown = [name for name in options.tables if name not in known]
    if unknown:
        where = "on the Spark server" if spark is not None else f"in {options.warehouse}"
        raise UsageError(
            f"no Delta table {', '.join(unknown)} {where}; tables: {', '.join(known) or 'none yet'}"
        )
    with hold(options.warehouse, "compact"):
        if spark is not None:
            done = [
                spark_tables.compact_table(spark, table, retain_hours=options.retain_hours)
                for table in options.tables or known
            ]
        else:
            done = compact_warehouse(
                options.warehouse,
                retain_hours=options.retain_hours,
                tables=options.tables or None,
                min_files=1,
            )
    for table in done:
        print(table.summary())
    if not done:
        print("no Delta table to compact")
    return 0
