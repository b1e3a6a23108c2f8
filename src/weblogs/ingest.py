"""Raw layer: append access-log lines, exactly as read, to the bronze Delta table."""

from __future__ import annotations

import bz2
import fcntl
import gzip
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RAW_TABLE = "access_log_lines"

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
    ]
)

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open}


@dataclass(frozen=True)
class IngestResult:
    batch_id: int | None
    files: int
    lines: int
    latin1_lines: int

    def summary(self) -> str:
        if self.batch_id is None:
            return "nothing to ingest: no lines in the given files"
        return (
            f"batch {self.batch_id}: {self.lines:,} lines from {self.files} file(s)"
            f" ({self.latin1_lines:,} not valid UTF-8, kept as latin-1)"
        )


def raw_table_path(warehouse: Path, raw_schema: str) -> Path:
    return warehouse / raw_schema / RAW_TABLE


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, and every non-hidden file below a named folder, sorted."""
    files: list[Path] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            files.extend(
                sorted(
                    child
                    for child in path.rglob("*")
                    if child.is_file()
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return [file.resolve() for file in files]


class DamagedFileError(ValueError):
    """A compressed file that cannot be read to its end."""


def read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed. A damaged or truncated archive is rejected whole:
    keeping the lines before the damage would pass a partial file off as complete."""
    opener = _OPENERS.get(path.suffix.lower())
    if opener is None:
        return path.read_bytes()
    try:
        with opener(path, "rb") as handle:
            return handle.read()
    except (EOFError, OSError, zlib.error) as error:
        if isinstance(error, FileNotFoundError | PermissionError):
            raise
        raise DamagedFileError(
            f"{path} is damaged or truncated ({error}); nothing of this ingest was written, "
            "repair or remove the file and ingest again"
        ) from error


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
    """For each line, how many identical lines precede it in the file, plus one.

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


def file_batch(path: Path, batch_id: int, ingested_at: datetime) -> pa.RecordBatch:
    raw_lines = split_lines(read_bytes(path))
    texts, encodings = decode_lines(raw_lines)
    lines = pa.array(texts, type=pa.string())
    count = len(texts)
    return pa.RecordBatch.from_arrays(
        [
            lines,
            pa.array(encodings, type=pa.string()),
            pa.array([str(path)] * count, type=pa.string()),
            pa.array(np.arange(1, count + 1, dtype=np.int64)),
            pa.array(occurrence_numbers(lines)),
            pa.array(np.full(count, batch_id, dtype=np.int64)),
            pa.array([ingested_at] * count, type=pa.timestamp("us", tz="UTC")),
        ],
        schema=RAW_SCHEMA,
    )


def last_batch_id(table_path: Path) -> int:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        table = DeltaTable(str(table_path))
    except TableNotFoundError:
        return 0
    values = table.to_pyarrow_dataset().to_table(columns=["ingest_batch_id"]).column(0)
    maximum = pc.max(values).as_py()
    return int(maximum or 0)


@contextmanager
def warehouse_lock(warehouse: Path) -> Iterator[None]:
    """One writer at a time: a second ingest waits for the first to commit."""
    warehouse.mkdir(parents=True, exist_ok=True)
    with open(warehouse / ".ingest.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ingest(paths: Iterable[str | Path], warehouse: Path, raw_schema: str) -> IngestResult:
    """Append every line of the given files to bronze as one batch, in one Delta commit."""
    from deltalake import write_deltalake

    files = expand_paths(paths)
    table_path = raw_table_path(warehouse, raw_schema)
    with warehouse_lock(warehouse):
        batch_id = last_batch_id(table_path) + 1
        ingested_at = datetime.now(UTC)
        batches = [file_batch(path, batch_id, ingested_at) for path in files]
        lines = sum(batch.num_rows for batch in batches)
        if lines == 0:
            return IngestResult(batch_id=None, files=len(files), lines=0, latin1_lines=0)
        latin1 = sum(pc.sum(pc.equal(batch.column(1), "latin-1")).as_py() or 0 for batch in batches)
        write_deltalake(
            str(table_path),
            pa.Table.from_batches([batch for batch in batches if batch.num_rows], RAW_SCHEMA),
            mode="append",
        )
    return IngestResult(batch_id=batch_id, files=len(files), lines=lines, latin1_lines=latin1)
