"""`weblogs compact`: compact the small files of the Delta tables and vacuum old ones."""

from __future__ import annotations

import argparse

from weblogs.cli.targets import require_embedded


def compact(options: argparse.Namespace) -> int:
    from weblogs.compaction import compact_warehouse
    from weblogs.runner import run_lock

    require_embedded(options.target, "compact")
    with run_lock(options.warehouse, wait=True):
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
