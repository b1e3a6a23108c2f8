"""`weblogs report`: one HTML page of the traffic, statuses, endpoints, quarantine, monitors
and freshness, which opens offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from weblogs.cli.options import Scope
from weblogs.errors import UsageError
from weblogs.freshness import project_thresholds
from weblogs.report import ReportError, write_report
from weblogs.targets import PROJECT_DIR
from weblogs.text import MAX_CHARS


def report(options: argparse.Namespace) -> int:
    return write_page(Scope.of(options), Path(options.out), options.max_chars)


def write_page(scope: Scope, out: Path, max_chars: int = MAX_CHARS) -> int:
    scope.target.require(
        "tables_in_warehouse", "report", what="on the embedded engine's Delta tables"
    )
    out = out.expanduser().resolve()
    if out.is_dir():
        raise UsageError(f"{out} is a folder: give the report's file name, e.g. {out}/report.html")
    try:
        written = write_report(
            out,
            scope.warehouse,
            scope.target.schema,
            scope.raw_schema,
            project_thresholds(PROJECT_DIR),
            max_chars,
        )
    except ReportError as error:
        raise UsageError(str(error)) from None
    print(f"report: {written}")
    return 0
