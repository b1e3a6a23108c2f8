"""Bronze as Delta tables in the warehouse folder (the embedded engine's writer).

Each bronze commit carries its ledger entries as custom commit metadata under
METADATA_KEY, with the application transaction of weblogs.bronze.base; delta-rs writes
both in one commit.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from weblogs.bronze.base import (
    APP_ID,
    RAW_TABLE,
    Bronze,
    bronze_batch,
    carried_entries,
    entries_from_commits,
    landed_entries,
)
from weblogs.errors import without_native_panic_reports
from weblogs.ingest.ledger import LEDGER_TABLE, Ledger, LedgerEntry, ledger_rows
from weblogs.ingest.offers import IngestError
from weblogs.ingest.pieces import Piece

METADATA_KEY = "weblogs.ingest"


def raw_table_path(warehouse: Path, raw_schema: str) -> Path:
    return warehouse / raw_schema / RAW_TABLE


def ledger_table_path(warehouse: Path, raw_schema: str) -> Path:
    return warehouse / raw_schema / LEDGER_TABLE


def _read_ledger_table(path: Path) -> Ledger:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        rows = DeltaTable(str(path)).to_pyarrow_table().to_pylist()
    except TableNotFoundError:
        return Ledger()
    return Ledger.from_rows(rows)


def _append_ledger(path: Path, entries: list[LedgerEntry]) -> None:
    from deltalake import write_deltalake

    if entries:
        with without_native_panic_reports():
            write_deltalake(str(path), ledger_rows(entries), mode="append")


def committed_batch_id(bronze_path: Path) -> int:
    """The newest batch landed in bronze, read from its Delta application transaction."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        table = DeltaTable(str(bronze_path))
    except TableNotFoundError:
        return 0
    if "site" not in table.schema().to_arrow().names:
        raise IngestError(
            f"the bronze table at {bronze_path} was written by an older weblogs without a "
            "site column; remove the warehouse folder (or point WEBLOGS_WAREHOUSE elsewhere) "
            "and ingest again"
        )
    return int(table.transaction_version(APP_ID) or 0)


def _entries_from_bronze(bronze_path: Path, after_batch: int, through_batch: int) -> list:
    """Ledger entries carried by the bronze commits of batches after_batch+1..through_batch."""
    from deltalake import DeltaTable

    history = DeltaTable(str(bronze_path)).history(limit=4 * (through_batch - after_batch) + 16)
    return entries_from_commits(
        (commit.get(METADATA_KEY) for commit in history), after_batch, through_batch
    )


def load_ledger(warehouse: Path, raw_schema: str) -> Ledger:
    """The ledger table, completed from bronze if a crash fell between the two commits."""
    bronze_path = raw_table_path(warehouse, raw_schema)
    ledger_path = ledger_table_path(warehouse, raw_schema)
    ledger = _read_ledger_table(ledger_path)
    committed = committed_batch_id(bronze_path)
    if committed > ledger.last_batch_id:
        repaired = _entries_from_bronze(bronze_path, ledger.last_batch_id, committed)
        _append_ledger(ledger_path, repaired)
        for entry in repaired:
            ledger.add(entry)
    return ledger


def fault_point(name: str) -> None:
    """Die here, as a crash would, when WEBLOGS_FAULT names this point (crash tests)."""
    if os.environ.get("WEBLOGS_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


class DeltaBronze(Bronze):
    """Bronze as a Delta table: each batch one commit that carries its ledger entries."""

    # delta-rs writes outside the interpreter lock, and nothing here is shared with a reader.
    lands_in_background = True

    def __init__(self, warehouse: Path, raw_schema: str) -> None:
        self.warehouse, self.raw_schema = warehouse, raw_schema

    def load_ledger(self) -> Ledger:
        return load_ledger(self.warehouse, self.raw_schema)

    def committed_batch_id(self) -> int:
        return committed_batch_id(raw_table_path(self.warehouse, self.raw_schema))

    def land(self, pieces: list[Piece], batch_id: int) -> list[LedgerEntry]:
        """One bronze commit carrying its ledger entries, then the ledger copy."""
        from deltalake import CommitProperties, Transaction, write_deltalake

        ingested_at = datetime.now(UTC)
        entries = landed_entries(pieces, batch_id)
        carried = carried_entries(batch_id, entries)
        with without_native_panic_reports():
            write_deltalake(
                str(raw_table_path(self.warehouse, self.raw_schema)),
                bronze_batch(pieces, batch_id, ingested_at),
                mode="append",
                commit_properties=CommitProperties(
                    custom_metadata={METADATA_KEY: carried},
                    app_transactions=[Transaction(APP_ID, batch_id)],
                ),
            )
        fault_point("after-bronze-commit")
        _append_ledger(ledger_table_path(self.warehouse, self.raw_schema), entries)
        return entries

    def record(self, notes: list[LedgerEntry]) -> None:
        _append_ledger(ledger_table_path(self.warehouse, self.raw_schema), notes)
