"""`weblogs demo`: the whole lab on generated logs: generate, ingest, build, verify, and a
page to look at."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from weblogs.cli.commands.report import write_page
from weblogs.cli.commands.run import run_landing
from weblogs.cli.commands.sql import query
from weblogs.cli.dbt import compiled_analyses
from weblogs.cli.options import RunOptions, Scope, limits_of
from weblogs.cli.output import print_rows
from weblogs.generate import write_log

DEMO_LANDING = Path("demo") / "landing"
DEMO_LOG = DEMO_LANDING / "access.log"
DEMO_REPORT = Path("demo") / "report.html"
# The lab's verification queries, kept as dbt analyses.
VERIFICATION_ANALYSES = ("pipeline_reconciliation", "lab_verification", "lab_status_summary")


def demo(options: argparse.Namespace) -> int:
    """The whole lab on generated demo logs: generate, ingest, build, verify, report."""
    scope = Scope.of(options)
    demo_dir = Path(options.demo_dir)
    log_path = demo_dir / DEMO_LOG
    if not log_path.exists():
        write_log(log_path, options.lines, log_format="combined", seed=42)
        print(f"generated {options.lines:,} demo log lines in {log_path}")
    # `weblogs run` once with its own defaults; it waits for another command rather than
    # refusing, and a second demo finds nothing new and builds nothing.
    landing = (demo_dir / DEMO_LANDING).expanduser().resolve()
    run_options = RunOptions(landing=landing, limits=limits_of(options), wait=True)
    if run_landing(scope, run_options, "demo") != 0:
        print("dbt build failed", file=sys.stderr)
        return 1
    analyses = compiled_analyses(VERIFICATION_ANALYSES, scope.warehouse, scope.target)
    spark = scope.target.session(scope.warehouse)
    for name in VERIFICATION_ANALYSES:
        print(f"\n{name}:")
        print_rows(*query(spark, analyses[name]), "table")
    print()
    return write_page(scope, demo_dir / DEMO_REPORT)
