"""Where a target's bronze table lives, and how much one micro-batch may hold."""

from __future__ import annotations

import argparse

from weblogs.cli.errors import UsageError
from weblogs.cli.targets import session
from weblogs.ingest.offers import Limits


def limits(options: argparse.Namespace) -> Limits:
    return Limits(
        max_files=options.max_files_per_batch,
        max_bytes=options.max_bytes_per_batch,
        settle_seconds=options.settle_seconds,
    )


def bronze_of(options: argparse.Namespace):  # a weblogs.ingest.Bronze
    """Where the target's bronze lives: Delta in the warehouse folder on the embedded engine,
    Delta tables of the Spark Connect server on Spark; on Databricks a streaming table that
    weblogs does not write."""
    target = options.target
    if target.type == "sail_delta":
        return None  # the default: Delta in the warehouse folder
    if target.type == "spark_connect":
        from weblogs.ingest.spark import SparkBronze

        return SparkBronze(session(options.warehouse, target), options.raw_schema)
    if target.type == "databricks":
        raise UsageError(
            "on Databricks the bronze table is a streaming table reading the landing "
            f"volume: copy the files there and run `weblogs build --target {target.name}`"
        )
    raise UsageError(f"weblogs does not land files for targets of type {target.type}")
