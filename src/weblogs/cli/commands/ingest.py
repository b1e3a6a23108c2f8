"""`weblogs ingest`: land the new lines of log files in the bronze table."""

from __future__ import annotations

import argparse
import sys

from weblogs.cli.bronze import bronze_of, limits
from weblogs.ingest import ingest as ingest_files
from weblogs.ingest import print_progress


def ingest(options: argparse.Namespace) -> int:
    from deltalake.exceptions import DeltaError

    try:
        result = ingest_files(
            options.paths,
            options.warehouse,
            options.raw_schema,
            site=options.site,
            limits=limits(options),
            progress=print_progress,
            bronze=bronze_of(options),
        )
    except (DeltaError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        # Each micro-batch is one Delta commit: the one being written left nothing behind.
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else repr(error)
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
