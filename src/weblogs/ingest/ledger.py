"""The ingest ledger: one entry per landed piece of a file, and one note per file that
landed nothing (a duplicate, an empty or an unreadable file).

Each landed entry holds the SHA-256 of the file's content from its start to the end of the
piece, so a file offered again is recognised by its content, whatever its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

import pyarrow as pa

LEDGER_TABLE = "ingest_ledger"

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("batch_id", pa.int64()),  # null: nothing landed (duplicate, empty, unreadable)
        pa.field("site", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("head_sha256", pa.string()),
        pa.field("content_sha256", pa.string()),
        pa.field("start_offset", pa.int64(), nullable=False),
        pa.field("end_offset", pa.int64(), nullable=False),
        pa.field("line_count", pa.int64(), nullable=False),
        pa.field("lines_before", pa.int64(), nullable=False),
        pa.field("pending_bytes", pa.int64(), nullable=False),
        pa.field("file_size", pa.int64(), nullable=False),
        pa.field("file_mtime_ns", pa.int64(), nullable=False),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("message", pa.string()),
    ]
)

# Ledger statuses that landed lines (the others, duplicate, empty and unreadable, did not).
LANDED = ("ingested", "damaged")


@dataclass(frozen=True)
class LedgerEntry:
    batch_id: int | None
    site: str
    source_file: str
    status: str
    head_sha256: str | None
    content_sha256: str | None
    start_offset: int
    end_offset: int
    line_count: int
    lines_before: int
    pending_bytes: int
    file_size: int
    file_mtime_ns: int
    recorded_at: datetime
    message: str | None = None

    def to_json(self) -> dict:
        return {**asdict(self), "recorded_at": self.recorded_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict) -> LedgerEntry:
        return cls(**{**data, "recorded_at": datetime.fromisoformat(data["recorded_at"])})


def ledger_rows(entries: Iterable[LedgerEntry]) -> pa.Table:
    """Entries as rows of the ledger table."""
    return pa.Table.from_pylist([asdict(entry) for entry in entries], LEDGER_SCHEMA)


class Ledger:
    """What has been landed, indexed for the questions an ingest asks."""

    def __init__(self, entries: Iterable[LedgerEntry] = ()) -> None:
        self.entries: list[LedgerEntry] = []
        self._by_head: dict[tuple[str, str], dict[int, LedgerEntry]] = {}
        self._last_seen: dict[tuple[str, str], LedgerEntry] = {}
        self._notes: set[tuple[str, str, str, int, int]] = set()
        for entry in entries:
            self.add(entry)

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> Ledger:
        """The ledger of a table's rows, which come back in file order, not commit order:
        the order they were written is restored."""
        entries = [LedgerEntry(**row) for row in rows]
        return cls(sorted(entries, key=lambda entry: (entry.recorded_at, entry.end_offset)))

    def add(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)
        self._last_seen[(entry.site, entry.source_file)] = entry
        if entry.status in LANDED and entry.head_sha256:
            self._by_head.setdefault((entry.site, entry.head_sha256), {})[entry.end_offset] = entry
        elif entry.status not in LANDED:
            self._notes.add(_note_key(entry))

    def holds_note(self, note: LedgerEntry) -> bool:
        """Whether the same note was made of this file at this size and time already (an
        unreadable file tried again unchanged: recorded once)."""
        return _note_key(note) in self._notes

    def landed_prefixes(self, site: str, head: str) -> list[LedgerEntry]:
        """Landed pieces of files starting with this head, by end offset."""
        found = self._by_head.get((site, head), {})
        return [found[end] for end in sorted(found)]

    def last_seen(self, site: str, path: str) -> LedgerEntry | None:
        return self._last_seen.get((site, path))

    @property
    def last_batch_id(self) -> int:
        return max((entry.batch_id or 0 for entry in self.entries), default=0)


def _note_key(note: LedgerEntry) -> tuple[str, str, str, int, int]:
    return (note.status, note.site, note.source_file, note.file_size, note.file_mtime_ns)
