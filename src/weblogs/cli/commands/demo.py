"""`weblogs demo`: the whole lab on generated logs: generate, ingest, build, verify, and a
page to look at."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from weblogs.build_slices import DEFAULT_LINES_PER_BUILD
from weblogs.cli.commands.report import report
from weblogs.cli.commands.run import run
from weblogs.cli.commands.sql import query
from weblogs.cli.dbt import compiled_analyses
from weblogs.cli.output import print_rows
from weblogs.cli.targets import session
from weblogs.generate import write_log

DEMO_LANDING = Path("demo") / "landing"
DEMO_LOG = DEMO_LANDING / "access.log"
DEMO_REPORT = Path("demo") / "report.html"
# The lab's verification queries, kept as dbt analyses.
VERIFICATION_ANALYSES = ("pipeline_reconciliation", "lab_verification", "lab_status_summary")


def demo(options: argparse.Namespace) -> int:
    """The whole lab on generated demo logs: generate, ingest, build, verify, report."""
    log_path = Path(options.demo_dir) / DEMO_LOG
    if not log_path.exists():
        write_log(log_path, options.lines, log_format="combined", seed=42)
        print(f"generated {options.lines:,} demo log lines in {log_path}")
    options.landing = str(Path(options.demo_dir) / DEMO_LANDING)
    options.every = options.watch = None
    options.compact_every, options.retain_hours, options.wait = 0, 168.0, True
    options.force = False  # a second demo finds nothing new and builds nothing
    options.lines_per_build = DEFAULT_LINES_PER_BUILD
    if run(options) != 0:
        print("dbt build failed", file=sys.stderr)
        return 1
    analyses = compiled_analyses(VERIFICATION_ANALYSES, options.warehouse, options.target)
    spark = session(options.warehouse, options.target)
    for name in VERIFICATION_ANALYSES:
        print(f"\n{name}:")
        print_rows(*query(spark, analyses[name]), "table")
    print()
    options.out = str(Path(options.demo_dir) / DEMO_REPORT)
    return report(options)
