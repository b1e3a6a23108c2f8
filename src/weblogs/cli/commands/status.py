"""`weblogs status`: pending files, last batch, lag, freshness, latency and row counts of the
warehouse."""

from __future__ import annotations

import argparse
from pathlib import Path

from weblogs.cli.errors import UsageError
from weblogs.cli.targets import PROJECT_DIR, require_delta_target, session
from weblogs.freshness import project_thresholds
from weblogs.status import collect


def status(options: argparse.Namespace) -> int:
    target = options.target
    require_delta_target(target, "status")
    landing = Path(options.landing).expanduser().resolve() if options.landing else None
    if landing is not None and not landing.is_dir():
        raise UsageError(f"no such landing folder: {landing}")
    readers = {}
    thresholds = None
    if target.type == "spark_connect":
        from weblogs import spark_tables
        from weblogs.ingest.spark import SparkBronze

        spark = session(options.warehouse, target)
        readers = {
            "bronze": SparkBronze(spark, options.raw_schema, create=False),
            "row_count": lambda table: spark_tables.row_count(spark, target.schema, table),
        }
    else:
        # Freshness is read from the embedded engine's Delta files; on Spark, run
        # `dbt source freshness --target spark`.
        thresholds = project_thresholds(PROJECT_DIR)
    found = collect(
        options.warehouse, options.raw_schema, landing, target.schema, thresholds, **readers
    )
    print(found.render())
    return 0
