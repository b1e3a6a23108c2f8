"""`weblogs status`: pending files, last batch, lag, freshness, latency and row counts of the
warehouse."""

from __future__ import annotations

import argparse
from pathlib import Path

from weblogs.errors import UsageError
from weblogs.freshness import project_thresholds
from weblogs.status import collect
from weblogs.targets import PROJECT_DIR


def status(options: argparse.Namespace) -> int:
    target = options.target
    tables = target.tables(options.warehouse, "status")
    landing = Path(options.landing).expanduser().resolve() if options.landing else None
    if landing is not None and not landing.is_dir():
        raise UsageError(f"no such landing folder: {landing}")
    # Freshness is read from Delta files in the warehouse folder; elsewhere, run
    # `dbt source freshness --target NAME`.
    in_warehouse = target.engine.tables_in_warehouse
    bronze = (
        None if in_warehouse else target.bronze(options.warehouse, options.raw_schema, create=False)
    )
    found = collect(
        options.warehouse,
        options.raw_schema,
        landing,
        target.schema,
        project_thresholds(PROJECT_DIR) if in_warehouse else None,
        bronze=bronze,
        row_count=lambda table: tables.row_count(target.schema, table),
    )
    print(found.render())
    return 0
