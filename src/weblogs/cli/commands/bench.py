"""`weblogs bench`: the pipeline timed beside PySpark, DuckDB and a regex bound."""

from __future__ import annotations

import argparse


def bench(options: argparse.Namespace) -> int:
    from weblogs import bench as harness

    return harness.command(options)
