"""`weblogs report`: one HTML page of the traffic, statuses, endpoints, quarantine, monitors
and freshness, which opens offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from weblogs.cli.errors import UsageError
from weblogs.cli.targets import PROJECT_DIR, require_embedded
from weblogs.freshness import project_thresholds
from weblogs.report import ReportError, write_report


def report(options: argparse.Namespace) -> int:
    require_embedded(options.target, "report")
    out = Path(options.out).expanduser().resolve()
    if out.is_dir():
        raise UsageError(f"{out} is a folder: give the report's file name, e.g. {out}/report.html")
    try:
        written = write_report(
            out,
            options.warehouse,
            options.target.schema,
            options.raw_schema,
            project_thresholds(PROJECT_DIR),
        )
    except ReportError as error:
        raise UsageError(str(error)) from None
    print(f"report: {written}")
    return 0
