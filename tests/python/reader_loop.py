"""A reader in a process of its own, querying every published table and view in a loop
while builds run elsewhere: `python reader_loop.py WAREHOUSE OUT STOP`.

Each round reads every relation three ways and appends one JSON line per query to OUT
(relation, reader, start and end time, row count or error), until the file STOP exists:

- `delta`: the table's newest Delta version, read with the deltalake package;
- `session`: one Sail session restored at the start and kept (a long-lived client);
- `fresh`: a new Sail session restored from the warehouse for the round (a new process).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from pyspark.sql import SparkSession

from weblogs import layout
from weblogs.embedded import catalog, engine

# Relations a user may query; the run log grows with every build and is left out.
SKIPPED = {"run_log"}


def relations(warehouse: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    tables = [
        (f"{schema}.{table}", location)
        for schema, table, location in layout.delta_tables(warehouse)
        if table not in SKIPPED
    ]
    views = sorted(path.stem for path in (warehouse / layout.CATALOG_DIR / "views").glob("*.sql"))
    return tables, views


def timed(out, relation: str, reader: str, read) -> None:
    started = time.time()
    try:
        outcome = {"rows": int(read())}
    except Exception as error:  # every failure is what the test looks for
        outcome = {"error": f"{type(error).__name__}: {str(error).strip()[:300]}"}
    out.write(
        json.dumps(
            {"relation": relation, "reader": reader, "start": started, "end": time.time()} | outcome
        )
        + "\n"
    )
    out.flush()


def count(spark: SparkSession, relation: str) -> int:
    return spark.sql(f"select count(*) from {relation}").collect()[0][0]


def delta_rows(location: Path) -> int:
    from deltalake import DeltaTable

    return DeltaTable(str(location)).to_pyarrow_dataset().count_rows()


def main(warehouse: Path, out_path: Path, stop: Path) -> None:
    kept = engine.spark_session(warehouse)
    with open(out_path, "a", encoding="utf-8") as out:
        while not stop.exists():
            tables, views = relations(warehouse)
            builder = SparkSession.builder.remote(engine.server_url())
            for key, value in engine.session_conf(warehouse).items():
                builder = builder.config(key, value)
            fresh = builder.create()
            catalog.restore(fresh, warehouse)
            for name, location in tables:
                timed(out, name, "delta", lambda location=location: delta_rows(location))
            for name in [name for name, _ in tables] + views:
                for reader, spark in (("session", kept), ("fresh", fresh)):
                    timed(out, name, reader, lambda spark=spark, name=name: count(spark, name))
            fresh.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
