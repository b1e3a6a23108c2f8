"""`weblogs compact`: compact the small files of the Delta tables and vacuum old ones."""

from __future__ import annotations

import argparse

from weblogs.cli.errors import UsageError
from weblogs.cli.targets import require_embedded
from weblogs.cli.warehouse import hold


def compact(options: argparse.Namespace) -> int:
    from weblogs.catalog import delta_tables
    from weblogs.compaction import compact_warehouse

    require_embedded(options.target, "compact")
    known = [f"{schema}.{table}" for schema, table, _ in delta_tables(options.warehouse)]
    unknown = [name for name in options.tables if name not in known]
    if unknown:
        raise UsageError(
            f"no Delta table {', '.join(unknown)} in {options.warehouse}; "
            f"tables: {', '.join(known) or 'none yet'}"
        )
    with hold(options.warehouse, "compact"):
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
