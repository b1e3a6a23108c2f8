"""`weblogs bench`: the pipeline timed beside PySpark, DuckDB and a regex bound."""

from __future__ import annotations

import argparse

from weblogs_bench.command import command


def bench(options: argparse.Namespace) -> int:
    return command(options)
