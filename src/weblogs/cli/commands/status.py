"""`weblogs status`: pending files, last batch, lag, freshness, latency and row counts of the
warehouse."""

from __future__ import annotations

import argparse
from pathlib import Path

from weblogs.cli.errors import UsageError
from weblogs.cli.targets import PROJECT_DIR, require_embedded


def status(options: argparse.Namespace) -> int:
    from weblogs.freshness import project_thresholds
    from weblogs.status import collect

    require_embedded(options.target, "status")
    landing = Path(options.landing).expanduser().resolve() if options.landing else None
    if landing is not None and not landing.is_dir():
        raise UsageError(f"no such landing folder: {landing}")
    thresholds = project_thresholds(PROJECT_DIR)
    report = collect(
        options.warehouse, options.raw_schema, landing, options.target.schema, thresholds
    )
    print(report.render())
    return 0
