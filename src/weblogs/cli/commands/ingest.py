"""`weblogs ingest`: land the new lines of log files in the bronze table."""

from __future__ import annotations

import argparse
import sys

from weblogs.cli.options import limits_of
from weblogs.ingest.micro_batches import ingest as ingest_files
from weblogs.ingest.micro_batches import print_progress


def ingest(options: argparse.Namespace) -> int:
    from deltalake.exceptions import DeltaError
    from pyspark.errors import PySparkException

    try:
        result = ingest_files(
            options.paths,
            options.warehouse,
            options.raw_schema,
            site=options.site,
            limits=limits_of(options),
            progress=print_progress,
            bronze=options.target.bronze(options.warehouse, options.raw_schema),
        )
    except (DeltaError, OSError, PySparkException) as error:
        if isinstance(error, FileNotFoundError):
            raise
        # Each micro-batch is one Delta commit (on Spark too): the one being written left
        # nothing behind, or committed whole and a rerun skips it.
        lines = str(error).strip().splitlines()
        # Spark's errors put the message first and the JVM's stack after it.
        reason = (lines[0] if isinstance(error, PySparkException) else lines[-1]) if lines else ""
        reason = reason or repr(error)
        print(
            f"weblogs ingest: cannot write to the warehouse {options.warehouse}: {reason}; "
            "the batch being written was not committed, and a rerun lands what is missing",
            file=sys.stderr,
        )
        return 1
    if sys.stderr.isatty() and result.batches:
        sys.stderr.write("\n")
    print(result.summary())
    return 1 if result.problems else 0
