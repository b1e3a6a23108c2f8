"""A reader of a published table while builds run: ``python -m weblogs_bench.reader TABLE``.

It queries the table's row count in a loop, each time on the warehouse's catalog as it is
stored then (as a new `weblogs sql` would find it), prints ``ready`` once it can, and on
Ctrl-C prints what it saw as JSON: how many reads, how many failed and with what, and the
row counts seen. A reader must only ever see the table before or after a build.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections import Counter

PAUSE_SECONDS = 0.1


def main(argv: list[str]) -> int:
    from weblogs import layout
    from weblogs.embedded import catalog, engine

    (table,) = argv
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    warehouse = layout.warehouse_path()
    counts: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    reads = 0
    ready = False
    while not stop.is_set():
        reads += 1
        try:
            spark = engine.spark_session(warehouse)
            catalog.restore(spark, warehouse, force=True)
            rows = spark.sql(f"select count(*) as n from {table}").collect()[0]["n"]
            counts[int(rows)] += 1
        except Exception as error:  # every failure a reader would see counts
            text = str(error).strip()
            errors[text.splitlines()[0][:200] if text else repr(error)] += 1
        if not ready:
            print("ready", flush=True)
            ready = True
        time.sleep(PAUSE_SECONDS)
    print(
        json.dumps(
            {
                "reads": reads,
                "failed": sum(errors.values()),
                "errors": dict(errors),
                "row_counts": {str(value): seen for value, seen in sorted(counts.items())},
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
