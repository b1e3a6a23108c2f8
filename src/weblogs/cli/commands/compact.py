"""`weblogs compact`: compact the small files of the Delta tables and vacuum old ones."""

from __future__ import annotations

import argparse

from weblogs.errors import UsageError
from weblogs.file_lock import hold


def compact(options: argparse.Namespace) -> int:
    target = options.target
    tables = target.tables(options.warehouse, "compact")
    known = tables.names([options.raw_schema, target.schema])
    unknown = [name for name in options.tables if name not in known]
    if unknown:
        raise UsageError(
            f"no Delta table {', '.join(unknown)} {tables.where}; "
            f"tables: {', '.join(known) or 'none yet'}"
        )
    with hold(options.warehouse, "compact"):
        done = tables.compact(options.tables or known, retain_hours=options.retain_hours)
    for table in done:
        print(table.summary())
    if not done:
        print("no Delta table to compact")
    return 0
