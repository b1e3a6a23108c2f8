"""The raw layer before anything landed: the bronze table and the ledger, created empty.

A data engineer expects `dbt build` on a new warehouse to create the schema and pass, and
`weblogs build` must agree with plain dbt: so instead of failing on a missing source, the
embedded target's on-run-start hook creates both tables empty, with exactly the schemas
`weblogs ingest` writes. A later ingest appends to them as to its own tables: an empty
bronze table has no application transaction (committed batch 0), an empty ledger reads as
no entries.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path

from weblogs.bronze.base import RAW_SCHEMA, RAW_TABLE
from weblogs.bronze.delta import DeltaBronze, ledger_table_path, raw_table_path
from weblogs.file_lock import INGEST_LOCK, ingest_lock
from weblogs.ingest.ledger import LEDGER_SCHEMA, LEDGER_TABLE

NOTHING_LANDED = (
    "nothing has landed yet, so the tables are built empty: land logs with "
    "`weblogs ingest PATH` or `weblogs run --landing DIR`"
)


def nothing_landed(warehouse: Path, raw_schema: str) -> bool:
    return DeltaBronze(warehouse, raw_schema).committed_batch_id() == 0


def _missing(warehouse: Path, raw_schema: str) -> list[tuple[str, Path]]:
    from deltalake import DeltaTable

    tables = (
        (RAW_TABLE, raw_table_path(warehouse, raw_schema)),
        (LEDGER_TABLE, ledger_table_path(warehouse, raw_schema)),
    )
    return [(name, path) for name, path in tables if not DeltaTable.is_deltatable(str(path))]


def _ingest_running(warehouse: Path) -> bool:
    """Whether an ingest holds the warehouse's ingest lock now."""
    with open(warehouse / INGEST_LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def create_missing_tables(
    warehouse: Path, raw_schema: str, say: Callable[[str], None] = print
) -> list[tuple[str, Path]]:
    """Create the bronze table and the ledger where they do not exist; returns the name and
    location of each table created."""
    from deltalake import DeltaTable

    if not _missing(warehouse, raw_schema):
        return []
    schemas = {RAW_TABLE: RAW_SCHEMA, LEDGER_TABLE: LEDGER_SCHEMA}
    warehouse.mkdir(parents=True, exist_ok=True)
    if _ingest_running(warehouse):
        say(f"an ingest is landing the first lines in {warehouse}: waiting for it to finish")
    # Under the ingest lock, so an ingest creating the same tables commits first.
    with ingest_lock(warehouse):
        missing = _missing(warehouse, raw_schema)
        for name, path in missing:
            DeltaTable.create(str(path), schemas[name], mode="ignore")
    return missing
