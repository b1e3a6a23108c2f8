"""`weblogs bench`: the pipeline timed beside PySpark, DuckDB and a regex bound."""

from __future__ import annotations

import argparse


def bench(options: argparse.Namespace) -> int:
    from weblogs_bench.command import command

    return command(options)
