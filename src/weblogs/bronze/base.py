"""Bronze, the raw table: what every writer of it shares.

A writer keeps the landed lines and the ledger of one engine (Delta in the warehouse
folder, or Delta tables of a Spark Connect session). An ingest asks it for the ledger and
the last committed batch, then lands micro-batches and records notes; the rows it writes are
built here, the same for every engine.

Every bronze commit carries its batch's ledger entries in its commit metadata, with an
application transaction (APP_ID, version = batch id): the data and the checkpoint that
describes it land in one atomic commit, and a batch written twice commits once. The ledger
table is a copy written right after; a crash between the two is repaired from the commits
(`entries_from_commits`).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from weblogs.ingest.ledger import Ledger, LedgerEntry
from weblogs.ingest.lines import repeated
from weblogs.ingest.offers import BATCH_BYTES, IngestError
from weblogs.ingest.pieces import Held, Piece

RAW_TABLE = "access_log_lines"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The application transaction id of bronze commits: its version is the batch id.
APP_ID = "weblogs-ingest"

# Every column is NOT NULL: a bronze row always knows its text, origin and batch.
RAW_SCHEMA = pa.schema(
    [
        pa.field("line", pa.string(), nullable=False),
        pa.field("line_encoding", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("line_occurrence", pa.int64(), nullable=False),
        pa.field("ingest_batch_id", pa.int64(), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("site", pa.string(), nullable=False),
    ]
)


class Bronze(ABC):
    """The raw table and its ledger on one engine."""

    # Whether `land` may run in a background thread while the next batch is read.
    lands_in_background = False
    # Bytes of a micro-batch when the user sets no bound (Limits.max_bytes).
    batch_bytes = BATCH_BYTES

    def keep(self, piece: Piece) -> Held:
        """What a micro-batch holds of a planned piece until it lands (and `land` gets):
        its lines, not the bytes they were read from (a buffer of up to 64 MiB), which only
        a writer whose engine reads the files needs (weblogs.bronze.spark)."""
        return replace(piece, content=memoryview(b""))

    @abstractmethod
    def load_ledger(self) -> Ledger:
        """Everything landed and noted so far."""

    @abstractmethod
    def committed_batch_id(self) -> int:
        """The newest batch landed (0: none)."""

    @abstractmethod
    def land(self, pieces: list[Held], batch_id: int) -> list[LedgerEntry]:
        """Write one micro-batch (what `keep` held of its pieces) and its ledger entries;
        return the entries."""

    @abstractmethod
    def record(self, notes: list[LedgerEntry]) -> None:
        """Add notes (files that landed nothing) to the ledger."""


def landed_entries(pieces: list[Held], batch_id: int) -> list[LedgerEntry]:
    """The ledger entries of a batch's pieces, now that the batch has its id."""
    return [replace(piece.entry, batch_id=batch_id) for piece in pieces]


def bronze_batch(pieces: list[Piece], batch_id: int, ingested_at: datetime) -> pa.Table:
    """The rows of one micro-batch."""
    columns: dict[str, list] = {name: [] for name in RAW_SCHEMA.names}
    at_microseconds = (ingested_at - _EPOCH) // timedelta(microseconds=1)
    for piece in pieces:
        count = len(piece.texts)
        entry = piece.entry
        columns["line"].append(piece.texts)
        columns["line_encoding"].append(piece.encodings)
        columns["source_file"].extend(repeated(entry.source_file, count))
        numbers = np.arange(entry.lines_before + 1, entry.lines_before + count + 1)
        columns["line_number"].append(pa.array(numbers, type=pa.int64()))
        columns["line_occurrence"].append(pa.array(piece.occurrences, type=pa.int64()))
        columns["ingest_batch_id"].append(pa.array(np.full(count, batch_id), type=pa.int64()))
        columns["ingested_at"].append(
            pa.array(np.full(count, at_microseconds, dtype=np.int64)).cast(
                pa.timestamp("us", tz="UTC")
            )
        )
        columns["site"].extend(repeated(entry.site, count))
    return pa.Table.from_arrays(
        [pa.chunked_array(columns[name], type=RAW_SCHEMA.field(name).type) for name in columns],
        schema=RAW_SCHEMA,
    )


def carried_entries(batch_id: int, entries: list[LedgerEntry], write_id: str = "") -> str:
    """The commit metadata of a bronze commit: its batch and ledger entries (and, where a
    writer must tell its own commit from another's, an id of the write)."""
    carried: dict = {"batch_id": batch_id, "entries": [entry.to_json() for entry in entries]}
    if write_id:
        carried["write_id"] = write_id
    return json.dumps(carried)


def entries_from_commits(
    carried: Iterable[str | None], after_batch: int, through_batch: int
) -> list[LedgerEntry]:
    """Ledger entries of batches after_batch+1..through_batch, from the commit metadata of
    bronze commits (newest first or in any order; commits without it are passed over)."""
    found: dict[int, list[LedgerEntry]] = {}
    for text in carried:
        if not text:
            continue
        try:
            batch = json.loads(text)
        except ValueError:
            continue  # metadata another writer put on a commit of its own
        if not isinstance(batch, dict) or "batch_id" not in batch:
            continue
        if after_batch < batch["batch_id"] <= through_batch:
            found[batch["batch_id"]] = [LedgerEntry.from_json(e) for e in batch["entries"]]
    missing = set(range(after_batch + 1, through_batch + 1)) - found.keys()
    if missing:
        raise IngestError(
            f"bronze commits of batches {sorted(missing)} carry no ledger entries; "
            "the ledger cannot be repaired automatically"
        )
    return [entry for batch_id in sorted(found) for entry in found[batch_id]]
