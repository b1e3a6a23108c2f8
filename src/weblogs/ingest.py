"""Raw layer: land access-log lines in the bronze Delta table, each line exactly once.

A file is known by its content, not its name. The ingest ledger records, for every piece of
a file that was landed, the SHA-256 of the file's bytes from its start to the end of that
piece. When a file is offered again, the longest recorded prefix it still starts with is
skipped; only the bytes after it are new. So a renamed or copied file adds nothing, and a
live log that grew adds only its new lines. A last line without a newline is held back
until the file has not changed for ``settle_seconds``: a writer may still be finishing it.

Every bronze commit carries its ledger entries in the Delta commit itself (commit metadata
plus an application transaction id equal to the batch id), so the checkpoint and the data
it describes land atomically. The ledger table is a copy made right after; if a crash falls
between the two, the next ingest restores the missing entries from the bronze commit.
"""

from __future__ import annotations

import bz2
import fcntl
import glob
import gzip
import hashlib
import json
import os
import re
import signal
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RAW_TABLE = "access_log_lines"
LEDGER_TABLE = "ingest_ledger"
DEFAULT_SITE = "default"
APP_ID = "weblogs-ingest"
METADATA_KEY = "weblogs.ingest"

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

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open}
_SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# The first line (or this many bytes of it) is a file's lookup key in the ledger.
HEAD_BYTES = 64 * 1024
# Identical lines are numbered within this much of the text before them (see occurrences).
OCCURRENCE_WINDOW = 16 * 1024 * 1024
_READ_BLOCK = 4 * 1024 * 1024
_ARCHIVE_STEP = 256 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds of one micro-batch (like maxFilesPerTrigger / maxBytesPerTrigger)."""

    max_files: int = 1000
    max_bytes: int = 64 * 1024 * 1024
    settle_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.max_files < 1 or self.max_bytes < 1:
            raise ValueError("micro-batch limits must be positive")


@dataclass(frozen=True)
class Offer:
    """A file offered for ingestion, and the site its lines belong to."""

    path: Path
    site: str = DEFAULT_SITE


@dataclass
class IngestResult:
    batches: list[int] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    latin1_lines: int = 0
    bytes: int = 0
    duplicates: int = 0
    held_back: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def batch_id(self) -> int | None:
        return self.batches[-1] if self.batches else None

    def summary(self) -> str:
        if self.batches:
            span = (
                f"batch {self.batches[0]}"
                if len(self.batches) == 1
                else f"batches {self.batches[0]}-{self.batches[-1]}"
            )
            text = (
                f"{span}: {self.lines:,} lines from {self.files} file(s)"
                f" ({self.latin1_lines:,} not valid UTF-8, kept as latin-1)"
            )
        else:
            text = "nothing new to ingest"
        if self.duplicates:
            text += f"; {self.duplicates} file(s) already ingested (same content), skipped"
        for note in self.held_back:
            text += f"\n  held back: {note}"
        for problem in self.problems:
            text += f"\n  problem: {problem}"
        return text


class IngestError(RuntimeError):
    """A problem the user must fix before ingesting (not a problem of one file)."""


def raw_table_path(warehouse: Path, raw_schema: str) -> Path:
    return warehouse / raw_schema / RAW_TABLE


def ledger_table_path(warehouse: Path, raw_schema: str) -> Path:
    return warehouse / raw_schema / LEDGER_TABLE


def check_site(site: str) -> str:
    if not _SITE_NAME.match(site):
        raise IngestError(f"invalid site name {site!r}: use letters, digits, '_', '.', '-'")
    return site


def _visible_files(folder: Path) -> list[Path]:
    return sorted(
        child
        for child in folder.rglob("*")
        if child.is_file()
        and not any(part.startswith(".") for part in child.relative_to(folder).parts)
    )


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly or by a glob, and every non-hidden file below a named folder."""
    files: list[Path] = []
    for given in paths:
        text = str(given)
        if glob.has_magic(text):
            matches = sorted(Path(match) for match in glob.glob(text, recursive=True))
            if not matches:
                raise FileNotFoundError(f"no file matches {text}")
            for match in matches:
                files.extend(_visible_files(match) if match.is_dir() else [match])
            continue
        path = Path(given).expanduser()
        if path.is_dir():
            files.extend(_visible_files(path))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    unique = dict.fromkeys(file.resolve() for file in files)
    return list(unique)


def landing_offers(landing: Path) -> list[Offer]:
    """Files of a landing folder: `landing/<site>/...` belongs to that site, files directly
    in the folder to the default site."""
    landing = landing.expanduser().resolve()
    if not landing.is_dir():
        raise FileNotFoundError(f"no such landing folder: {landing}")
    offers = []
    for path in _visible_files(landing):
        parts = path.relative_to(landing).parts
        site = parts[0] if len(parts) > 1 else DEFAULT_SITE
        if not _SITE_NAME.match(site):
            site = DEFAULT_SITE
        offers.append(Offer(path.resolve(), site))
    return offers


def split_lines(data: bytes) -> list[bytes]:
    """One element per line: LF ends a line, a CR before it belongs to the ending.

    A last line without a final newline is still a line; an empty file has none.
    """
    if not data:
        return []
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def decode_lines(lines: list[bytes]) -> tuple[list[str], list[str]]:
    """Text and encoding per line: UTF-8 where valid, else latin-1, which maps each byte to
    one character, so the original bytes stay recoverable (`line.encode('latin-1')`)."""
    try:
        text = b"\n".join(lines).decode("utf-8")
    except UnicodeDecodeError:
        texts, encodings = [], []
        for line in lines:
            try:
                texts.append(line.decode("utf-8"))
                encodings.append("utf-8")
            except UnicodeDecodeError:
                texts.append(line.decode("latin-1"))
                encodings.append("latin-1")
        return texts, encodings
    return (text.split("\n") if lines else []), ["utf-8"] * len(lines)


def occurrence_numbers(lines: pa.Array) -> np.ndarray:
    """For each line, how many identical lines precede it, plus one.

    Together with the text this identifies a request: a replayed copy of a file gives the
    same pairs again, while a genuinely repeated request is a second occurrence.
    """
    count = len(lines)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    groups = pc.dictionary_encode(lines).indices.to_numpy(zero_copy_only=False)
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    positions = np.arange(count, dtype=np.int64)
    starts = np.ones(count, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first_of_group = np.maximum.accumulate(np.where(starts, positions, 0))
    occurrences = np.empty(count, dtype=np.int64)
    occurrences[order] = positions - first_of_group + 1
    return occurrences


def head_key(data: bytes) -> str:
    """A file's lookup key: the hash of its first line, or of its first HEAD_BYTES."""
    end = data.find(b"\n", 0, HEAD_BYTES)
    return hashlib.sha256(data[: end + 1] if end >= 0 else data[:HEAD_BYTES]).hexdigest()


# --- the ledger ---------------------------------------------------------------------------


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


class Ledger:
    """What has been landed, indexed for the two questions an ingest asks."""

    def __init__(self, entries: Iterable[LedgerEntry] = ()) -> None:
        self.entries: list[LedgerEntry] = []
        self._by_head: dict[tuple[str, str], dict[int, LedgerEntry]] = {}
        self._last_seen: dict[tuple[str, str], LedgerEntry] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)
        self._last_seen[(entry.site, entry.source_file)] = entry
        if entry.status in LANDED and entry.head_sha256:
            self._by_head.setdefault((entry.site, entry.head_sha256), {})[entry.end_offset] = entry

    def landed_prefixes(self, site: str, head: str) -> list[LedgerEntry]:
        """Landed pieces of files starting with this head, by end offset."""
        found = self._by_head.get((site, head), {})
        return [found[end] for end in sorted(found)]

    def last_seen(self, site: str, path: str) -> LedgerEntry | None:
        return self._last_seen.get((site, path))

    @property
    def last_batch_id(self) -> int:
        return max((entry.batch_id or 0 for entry in self.entries), default=0)


def _read_ledger_table(path: Path) -> list[LedgerEntry]:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        rows = DeltaTable(str(path)).to_pyarrow_table().to_pylist()
    except TableNotFoundError:
        return []
    # Rows come back in file order, not commit order: restore the order they were written.
    entries = [LedgerEntry(**row) for row in rows]
    return sorted(entries, key=lambda entry: (entry.recorded_at, entry.end_offset))


def _append_ledger(path: Path, entries: list[LedgerEntry]) -> None:
    from deltalake import write_deltalake

    if entries:
        rows = [asdict(entry) for entry in entries]
        write_deltalake(str(path), pa.Table.from_pylist(rows, LEDGER_SCHEMA), mode="append")


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
    found: dict[int, list[LedgerEntry]] = {}
    for commit in history:
        carried = commit.get(METADATA_KEY)
        if not carried:
            continue
        batch = json.loads(carried)
        if after_batch < batch["batch_id"] <= through_batch:
            found[batch["batch_id"]] = [LedgerEntry.from_json(e) for e in batch["entries"]]
    missing = set(range(after_batch + 1, through_batch + 1)) - found.keys()
    if missing:
        raise IngestError(
            f"bronze commits of batches {sorted(missing)} carry no ledger entries; "
            "the ledger cannot be repaired automatically"
        )
    return [entry for batch_id in sorted(found) for entry in found[batch_id]]


def load_ledger(warehouse: Path, raw_schema: str) -> Ledger:
    """The ledger table, completed from bronze if a crash fell between the two commits."""
    bronze_path = raw_table_path(warehouse, raw_schema)
    ledger_path = ledger_table_path(warehouse, raw_schema)
    ledger = Ledger(_read_ledger_table(ledger_path))
    committed = committed_batch_id(bronze_path)
    if committed > ledger.last_batch_id:
        repaired = _entries_from_bronze(bronze_path, ledger.last_batch_id, committed)
        _append_ledger(ledger_path, repaired)
        for entry in repaired:
            ledger.add(entry)
    return ledger


# --- reading files ------------------------------------------------------------------------


@dataclass
class Piece:
    """New complete lines of one file, ready to land, and the ledger entry describing them."""

    entry: LedgerEntry
    texts: pa.StringArray
    encodings: pa.StringArray
    occurrences: np.ndarray

    @property
    def size(self) -> int:
        return self.entry.end_offset - self.entry.start_offset


class _Stream:
    """A file's content (decompressed), read forward, with its running SHA-256 and the
    last OCCURRENCE_WINDOW bytes kept as context."""

    def __init__(self, path: Path) -> None:
        opener = _OPENERS.get(path.suffix.lower())
        self.compressed = opener is not None
        self.handle: BinaryIO = opener(path, "rb") if opener else open(path, "rb")  # noqa: SIM115
        self.offset = 0
        self.hasher = hashlib.sha256()
        self.context = b""
        self.context_start = 0
        self.damage: str | None = None
        self.buffer = b""

    def close(self) -> None:
        self.handle.close()

    def _fill(self, wanted: int) -> None:
        missing = wanted - len(self.buffer)
        blocks = [self.buffer]
        while missing > 0 and self.damage is None:
            try:
                if self.compressed:
                    # Small steps: what decompressed before damage is kept.
                    block = self.handle.read1(_ARCHIVE_STEP)
                else:
                    block = self.handle.read(max(_READ_BLOCK, missing))
            except (EOFError, OSError, zlib.error) as error:
                self.damage = f"{type(error).__name__}: {error}"
                break
            if not block:
                break
            blocks.append(block)
            missing -= len(block)
        if len(blocks) > 1:
            self.buffer = b"".join(blocks)

    def peek(self, size: int) -> bytes:
        self._fill(size)
        return self.buffer[:size]

    def take(self, size: int) -> bytes:
        """Consume up to size bytes (fewer at the end of the content)."""
        self._fill(size)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        self.hasher.update(data)
        self.offset += len(data)
        kept = self.context + data
        if len(kept) > OCCURRENCE_WINDOW:
            cut = len(kept) - OCCURRENCE_WINDOW
            self.context_start += cut
            kept = kept[cut:]
        self.context = kept
        return data

    def context_lines(self) -> bytes:
        """The kept context from its first complete line on."""
        if self.context_start == 0:
            return self.context
        newline = self.context.find(b"\n")
        return self.context[newline + 1 :] if newline >= 0 else b""


@contextmanager
def _open_stream(path: Path) -> Iterator[_Stream]:
    stream = _Stream(path)
    try:
        yield stream
    finally:
        stream.close()


def _skip_verified_prefix(
    path: Path, stream: _Stream, prefixes: list[LedgerEntry]
) -> tuple[_Stream, LedgerEntry | None]:
    """Read forward through the recorded prefixes; return a stream positioned at the end of
    the longest one the file still starts with, and that entry."""
    best: LedgerEntry | None = None
    for entry in prefixes:
        while stream.offset < entry.end_offset:
            if not stream.take(min(_READ_BLOCK, entry.end_offset - stream.offset)):
                break
        if stream.offset != entry.end_offset:
            break
        if stream.hasher.hexdigest() == entry.content_sha256:
            best = entry
    if (best.end_offset if best else 0) == stream.offset:
        return stream, best
    # Read past a prefix that did not match: start again and stop at the one that did.
    stream.close()
    fresh = _Stream(path)
    target = best.end_offset if best else 0
    while fresh.offset < target:
        fresh.take(min(_READ_BLOCK, target - fresh.offset))
    return fresh, best


def arrow_lines(data: bytes) -> tuple[pa.StringArray, pa.StringArray]:
    """The lines of a block of text and their encodings, as Arrow arrays (see split_lines
    and decode_lines, which this follows without a Python object per line when the block
    is valid UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        texts, encodings = decode_lines(split_lines(data))
        return pa.array(texts, type=pa.string()), pa.array(encodings, type=pa.string())
    if not text:
        return pa.array([], type=pa.string()), pa.array([], type=pa.string())
    body = text[:-1] if text.endswith("\n") else text
    lines = pc.split_pattern(pa.array([body], type=pa.large_string()), "\n").flatten()
    if "\r" in body:
        lines = pc.replace_substring_regex(lines, "\r$", "")
    lines = lines.cast(pa.string())
    return lines, pa.array(np.full(len(lines), "utf-8", dtype=object), type=pa.string())


def _decoded_piece(context: bytes, data: bytes) -> tuple[pa.Array, pa.Array, np.ndarray]:
    context_lines, _ = arrow_lines(context)
    lines, encodings = arrow_lines(data)
    numbers = occurrence_numbers(pa.concat_arrays([context_lines, lines]))
    return lines, encodings, numbers[len(context_lines) :]


def nothing_new(seen: LedgerEntry | None, stat: os.stat_result, settled: bool) -> bool:
    """Whether a file can be skipped unread: the ledger saw it at this size and time, and
    nothing of it is waiting (or what waits is an unfinished line that has not settled, or
    the rest of a damaged archive)."""
    return (
        seen is not None
        and (seen.file_size, seen.file_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        and (seen.pending_bytes == 0 or seen.status == "damaged" or not settled)
    )


def file_pieces(
    offer: Offer, ledger: Ledger, limits: Limits, now: float | None = None
) -> Iterator[Piece | LedgerEntry]:
    """The new lines of one file as pieces of at most limits.max_bytes, then (if nothing
    landed) one entry saying why: duplicate, empty or unreadable. A file unchanged since the
    ledger last saw it yields nothing and is not read.

    The ledger is updated as pieces are planned, so a copy offered later in the same run is
    recognised before anything is committed.
    """
    now = time.time() if now is None else now
    path, site = offer.path, offer.site
    source = str(path)
    try:
        stat = path.stat()
    except OSError as error:
        yield _status_entry(offer, "unreadable", 0, 0, message=f"{error}")
        return
    settled = now - stat.st_mtime >= limits.settle_seconds
    if nothing_new(ledger.last_seen(site, source), stat, settled):
        return
    recorded_at = datetime.now(UTC)

    def entry_for(status: str, **values) -> LedgerEntry:
        return LedgerEntry(
            batch_id=None,
            site=site,
            source_file=source,
            status=status,
            file_size=stat.st_size,
            file_mtime_ns=stat.st_mtime_ns,
            recorded_at=recorded_at,
            **values,
        )

    try:
        stream = _Stream(path)
    except OSError as error:
        yield _status_entry(offer, "unreadable", stat.st_size, stat.st_mtime_ns, f"{error}")
        return
    try:
        head = head_key(stream.peek(HEAD_BYTES))
        stream, prefix = _skip_verified_prefix(path, stream, ledger.landed_prefixes(site, head))
        settled = settled or (stream.compressed and stream.damage is None)
        lines_before = prefix.lines_before + prefix.line_count if prefix else 0
        landed_any = False
        while True:
            chunk = stream.peek(limits.max_bytes)
            last_newline = chunk.rfind(b"\n")
            at_end = len(chunk) < limits.max_bytes
            if last_newline >= 0:
                size = last_newline + 1
            elif at_end and chunk and settled and stream.damage is None:
                size = len(chunk)  # a finished file's last line without a newline
            elif not at_end:
                size = len(chunk)  # a line longer than a batch: cut it, never drop it
            else:
                break
            context = stream.context_lines()
            start = stream.offset
            data = stream.take(size)
            texts, encodings, occurrences = _decoded_piece(context, data)
            pending = stream.peek(limits.max_bytes + 1)
            more = len(pending) > 0
            # Damaged (a truncated archive): nothing complete is left to land after this.
            stranded = stream.damage is not None and b"\n" not in pending
            status = "damaged" if stranded else "ingested"
            entry = entry_for(
                status,
                head_sha256=head,
                content_sha256=stream.hasher.hexdigest(),
                start_offset=start,
                end_offset=stream.offset,
                line_count=len(texts),
                lines_before=lines_before,
                pending_bytes=len(pending) if not stream.compressed or stranded else -1,
                message=stream.damage if status == "damaged" else None,
            )
            lines_before += len(texts)
            ledger.add(entry)
            landed_any = True
            yield Piece(entry, texts, encodings, occurrences)
            if not more or stranded:
                break
        if landed_any:
            return
        tail = stream.peek(limits.max_bytes)
        if stream.damage and not prefix:
            yield entry_for(
                "unreadable", head_sha256=None, content_sha256=None, start_offset=0,
                end_offset=0, line_count=0, lines_before=0, pending_bytes=len(tail),
                message=stream.damage,
            )  # fmt: skip
        elif tail:
            return  # only an unfinished last line: look again once it settles
        elif prefix is None:
            entry = entry_for(
                "empty", head_sha256=None, content_sha256=None, start_offset=0, end_offset=0,
                line_count=0, lines_before=0, pending_bytes=0,
            )  # fmt: skip
            ledger.add(entry)
            yield entry
        else:
            entry = entry_for(
                "duplicate", head_sha256=head, content_sha256=prefix.content_sha256,
                start_offset=0, end_offset=prefix.end_offset, line_count=0,
                lines_before=0, pending_bytes=0,
                message=f"content already landed from {prefix.source_file}",
            )  # fmt: skip
            ledger.add(entry)
            yield entry
    finally:
        stream.close()


def _status_entry(offer: Offer, status: str, size: int, mtime_ns: int, message: str):
    return LedgerEntry(
        batch_id=None, site=offer.site, source_file=str(offer.path), status=status,
        head_sha256=None, content_sha256=None, start_offset=0, end_offset=0, line_count=0,
        lines_before=0, pending_bytes=-1, file_size=size, file_mtime_ns=mtime_ns,
        recorded_at=datetime.now(UTC), message=message,
    )  # fmt: skip


# --- landing batches ----------------------------------------------------------------------


def bronze_batch(pieces: list[Piece], batch_id: int, ingested_at: datetime) -> pa.Table:
    columns: dict[str, list] = {name: [] for name in RAW_SCHEMA.names}
    for piece in pieces:
        count = len(piece.texts)
        entry = piece.entry
        columns["line"].append(piece.texts)
        columns["line_encoding"].append(piece.encodings)
        columns["source_file"].append(pa.array([entry.source_file] * count, type=pa.string()))
        numbers = np.arange(entry.lines_before + 1, entry.lines_before + count + 1)
        columns["line_number"].append(pa.array(numbers, type=pa.int64()))
        columns["line_occurrence"].append(pa.array(piece.occurrences, type=pa.int64()))
        columns["ingest_batch_id"].append(pa.array(np.full(count, batch_id), type=pa.int64()))
        columns["ingested_at"].append(
            pa.array([ingested_at] * count, type=pa.timestamp("us", tz="UTC"))
        )
        columns["site"].append(pa.array([entry.site] * count, type=pa.string()))
    return pa.Table.from_arrays(
        [pa.chunked_array(columns[name], type=RAW_SCHEMA.field(name).type) for name in columns],
        schema=RAW_SCHEMA,
    )


def fault_point(name: str) -> None:
    """Die here, as a crash would, when WEBLOGS_FAULT names this point (crash tests)."""
    if os.environ.get("WEBLOGS_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _land(warehouse: Path, raw_schema: str, pieces: list[Piece], batch_id: int) -> list:
    """One bronze commit carrying its ledger entries, then the ledger copy."""
    from deltalake import CommitProperties, Transaction, write_deltalake

    ingested_at = datetime.now(UTC)
    entries = [replace(piece.entry, batch_id=batch_id) for piece in pieces]
    carried = json.dumps({"batch_id": batch_id, "entries": [e.to_json() for e in entries]})
    write_deltalake(
        str(raw_table_path(warehouse, raw_schema)),
        bronze_batch(pieces, batch_id, ingested_at),
        mode="append",
        commit_properties=CommitProperties(
            custom_metadata={METADATA_KEY: carried},
            app_transactions=[Transaction(APP_ID, batch_id)],
        ),
    )
    fault_point("after-bronze-commit")
    _append_ledger(ledger_table_path(warehouse, raw_schema), entries)
    return entries


class DeltaBronze:
    """Bronze as a Delta table: each batch one commit that carries its ledger entries."""

    def __init__(self, warehouse: Path, raw_schema: str) -> None:
        self.warehouse, self.raw_schema = warehouse, raw_schema

    def load_ledger(self) -> Ledger:
        return load_ledger(self.warehouse, self.raw_schema)

    def committed_batch_id(self) -> int:
        return committed_batch_id(raw_table_path(self.warehouse, self.raw_schema))

    def land(self, pieces: list[Piece], batch_id: int) -> list[LedgerEntry]:
        return _land(self.warehouse, self.raw_schema, pieces, batch_id)

    def record(self, notes: list[LedgerEntry]) -> None:
        _append_ledger(ledger_table_path(self.warehouse, self.raw_schema), notes)


@contextmanager
def warehouse_lock(warehouse: Path) -> Iterator[None]:
    """One writer of bronze at a time: a second ingest waits for the first to commit."""
    warehouse.mkdir(parents=True, exist_ok=True)
    with open(warehouse / ".ingest.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


Progress = Callable[[IngestResult, int, int], None]


def ingest_offers(
    offers: Iterable[Offer],
    warehouse: Path,
    raw_schema: str,
    limits: Limits = Limits(),
    *,
    after_batch: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
    bronze: DeltaBronze | None = None,
) -> IngestResult:
    """Land the new lines of the offered files in micro-batches bounded by `limits`.

    Each micro-batch is one bronze commit; `after_batch(batch_id)` runs after each (the
    trigger of `weblogs run` builds the models there). `should_stop` ends the drain early;
    what was not landed stays pending for the next call.
    """
    offers = list(offers)
    result = IngestResult()
    total_bytes = sum(_size(offer.path) for offer in offers)
    with warehouse_lock(warehouse):
        bronze = bronze or DeltaBronze(warehouse, raw_schema)
        ledger = bronze.load_ledger()
        next_batch = bronze.committed_batch_id() + 1
        batch: list[Piece] = []
        notes: list[LedgerEntry] = []
        files_done: set[str] = set()

        def flush() -> None:
            nonlocal batch, next_batch
            if not batch:
                return
            entries = bronze.land(batch, next_batch)
            result.batches.append(next_batch)
            files_done.update(entry.source_file for entry in entries)
            result.files = len(files_done)
            result.lines += sum(len(piece.texts) for piece in batch)
            result.bytes += sum(piece.size for piece in batch)
            result.latin1_lines += sum(
                pc.sum(pc.equal(piece.encodings, "latin-1")).as_py() or 0 for piece in batch
            )
            for entry in entries:
                if entry.status == "damaged":
                    result.problems.append(f"{entry.source_file}: {entry.message}")
            batch = []
            next_batch += 1
            if progress:
                progress(result, total_bytes, len(offers))
            if after_batch:
                after_batch(result.batches[-1])

        def batch_full(piece: Piece) -> bool:
            files = {p.entry.source_file for p in batch} | {piece.entry.source_file}
            size = sum(p.size for p in batch) + piece.size
            return bool(batch) and (len(files) > limits.max_files or size > limits.max_bytes)

        for offer in offers:
            if should_stop():
                break
            for item in file_pieces(offer, ledger, limits):
                if isinstance(item, LedgerEntry):
                    notes.append(item)
                    if item.status == "duplicate":
                        result.duplicates += 1
                    elif item.status == "unreadable":
                        result.problems.append(f"{item.source_file}: {item.message}")
                    continue
                if batch_full(item):
                    flush()
                    if should_stop():
                        break
                batch.append(item)
            else:
                continue
            break
        stopped_early = should_stop()
        if not stopped_early:
            flush()
        else:
            # A duplicate may point at content planned but not landed: find it again later.
            notes = [note for note in notes if note.status != "duplicate"]
        bronze.record(notes)
        for offer in offers:
            seen = ledger.last_seen(offer.site, str(offer.path))
            if seen is None or seen.pending_bytes > 0:
                held = _size(offer.path) - (seen.end_offset if seen else 0)
                if held > 0 and offer.path.suffix.lower() not in _OPENERS:
                    result.held_back.append(
                        f"{offer.path}: {held} byte(s) after the last complete line, "
                        "landed once the file settles"
                    )
    return result


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def ingest(
    paths: Iterable[str | Path],
    warehouse: Path,
    raw_schema: str,
    *,
    site: str = DEFAULT_SITE,
    limits: Limits = Limits(),
    progress: Progress | None = None,
    bronze: DeltaBronze | None = None,
) -> IngestResult:
    """Land the new lines of the given files and folders (all of one site)."""
    check_site(site)
    offers = [Offer(path, site) for path in expand_paths(paths)]
    return ingest_offers(offers, warehouse, raw_schema, limits, progress=progress, bronze=bronze)


def print_progress(result: IngestResult, total_bytes: int, files: int) -> None:
    """A one-line progress report on a terminal, for long ingests."""
    if not sys.stderr.isatty():
        return
    share = f"{100 * result.bytes / total_bytes:5.1f}%" if total_bytes else "  -  "
    sys.stderr.write(
        f"\ringest {share}  {result.bytes / 1e6:,.0f} MB  {result.lines:,} lines  "
        f"{len(result.batches)} batch(es)  {result.files}/{files} file(s)"
    )
    sys.stderr.flush()
