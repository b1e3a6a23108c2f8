"""A micro-batch as a plan of chunks, and a chunk read back into bronze rows where the file is.

The client plans what is new exactly as for every engine (weblogs.ingest.pieces: it reads
each new byte once, to hash it and number identical lines), then describes each piece as
chunks of about CHUNK_BYTES: a byte range of the file's content that starts and ends at a
line end, its first line number, a CRC-32 of its bytes, and the few lines whose occurrence
number is not 1 (a repeated line is rare in a log; a number per line would be most of the
plan). A Spark writer ships the plan, a few hundred bytes a chunk; its executors open the
files, read the ranges and build the rows with `read_planned` (the function given to
`mapInArrow`), splitting and decoding with weblogs.ingest.lines as the client does. So the
rows are the ones `bronze_batch` builds from the same pieces, column for column.

An executor that cannot read a chunk, or reads other bytes than were planned (a file
removed, truncated or rewritten since), fails the batch with a ChunkReadError: nothing of
the batch commits, and the client reports the file in one line (`unreadable_chunk`).
"""

from __future__ import annotations

import contextlib
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from weblogs.bronze.base import RAW_SCHEMA
from weblogs.ingest.ledger import LedgerEntry
from weblogs.ingest.lines import decode_lines, repeated, split_lines
from weblogs.ingest.pieces import Piece
from weblogs.ingest.stream import is_archive, open_content

# Chunks of a plan; a task reads its chunks one after the other, one Arrow batch each.
CHUNK_BYTES = 8 * 2**20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEWLINE = ord("\n")
# How far back from a chunk's nominal end its cut looks for a line end at a time.
_LOOK_BACK = 64 * 1024
_READ_STEP = 8 * 2**20
# Starts the message of a ChunkReadError, so the client finds it in the executor's traceback.
CHUNK_ERROR = "weblogs cannot read a planned chunk:"

# A piece's chunks, planned as the piece is read.
CHUNK_SCHEMA = pa.schema(
    [
        # Where executors open the file (source_file, unless the plan maps it elsewhere).
        pa.field("read_from", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("site", pa.string(), nullable=False),
        # The content offset (decompressed, for an archive) of the chunk's first byte.
        pa.field("start_offset", pa.int64(), nullable=False),
        pa.field("first_line_number", pa.int64(), nullable=False),
        # The chunk in segments, read and checked one at a time: where each ends, its lines
        # and the CRC-32 of its bytes. One segment, but for an archive, which a batch reads
        # in one pass (decompressing from its start) in segments of one piece each.
        pa.field("segment_ends", pa.list_(pa.int64()), nullable=False),
        pa.field("segment_lines", pa.list_(pa.int64()), nullable=False),
        pa.field("segment_crc32", pa.list_(pa.int64()), nullable=False),
        # Lines (0 = the chunk's first) whose occurrence number is not 1, and their numbers.
        pa.field("repeated_lines", pa.list_(pa.int32()), nullable=False),
        pa.field("repeated_occurrences", pa.list_(pa.int64()), nullable=False),
    ]
)
# A micro-batch's plan: its pieces' chunks, and what the batch gives every row.
PLAN_SCHEMA = CHUNK_SCHEMA.append(pa.field("ingest_batch_id", pa.int64(), nullable=False)).append(
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False)
)


@dataclass(frozen=True)
class ChunkedPiece:
    """What a micro-batch holds of a piece when executors read the file: its ledger entry,
    its count of latin-1 lines, and its chunks (CHUNK_SCHEMA); not its lines."""

    entry: LedgerEntry
    latin1_lines: int
    chunks: pa.Table

    @property
    def size(self) -> int:
        return self.entry.end_offset - self.entry.start_offset


class ChunkReadError(RuntimeError):
    """An executor could not read a planned chunk as it was planned."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{CHUNK_ERROR} {path}: {reason}")


def chunk_cuts(content: memoryview, chunk_bytes: int) -> list[int]:
    """Offsets in `content` where its chunks end: each just after a newline, about
    chunk_bytes apart, the last at its end. A line longer than chunk_bytes stays whole."""
    size, cuts, start = len(content), [], 0
    while size - start > chunk_bytes:
        cut = _line_end_before(content, start, start + chunk_bytes)
        if cut <= start:  # one line longer than a chunk: end the chunk after it
            after = bytes(content[start + chunk_bytes :]).find(b"\n")
            cut = size if after < 0 else start + chunk_bytes + after + 1
        if cut >= size:
            break
        cuts.append(cut)
        start = cut
    return [*cuts, size]


def _line_end_before(content: memoryview, start: int, end: int) -> int:
    """Just after the last newline in content[start:end] (start if there is none)."""
    while end > start:
        window = max(start, end - _LOOK_BACK)
        found = bytes(content[window:end]).rfind(b"\n")
        if found >= 0:
            return window + found + 1
        end = window
    return start


def piece_chunks(
    piece: Piece, chunk_bytes: int = CHUNK_BYTES, read_from: Callable[[str], str] = str
) -> ChunkedPiece:
    """A planned piece as chunks, from the bytes it was read from; `read_from` says where
    executors find a source file. An archive's piece is one chunk: each chunk of it would
    decompress the archive from its start again."""
    entry, content = piece.entry, piece.content
    if len(content) != piece.size:
        raise ValueError(f"{entry.source_file}: a piece without its bytes cannot be planned")
    columns: dict[str, list] = {name: [] for name in CHUNK_SCHEMA.names}
    repeats = np.flatnonzero(piece.occurrences != 1)
    start, first_line = 0, 0
    archive = is_archive(Path(entry.source_file))
    for end in [len(content)] if archive else chunk_cuts(content, chunk_bytes):
        view = content[start:end]
        lines = int(np.count_nonzero(np.frombuffer(view, dtype=np.uint8) == _NEWLINE))
        lines += view[-1] != _NEWLINE  # a last line without a newline is a line
        inside = repeats[(repeats >= first_line) & (repeats < first_line + lines)]
        columns["read_from"].append(read_from(entry.source_file))
        columns["source_file"].append(entry.source_file)
        columns["site"].append(entry.site)
        columns["start_offset"].append(entry.start_offset + start)
        columns["first_line_number"].append(entry.lines_before + first_line + 1)
        columns["segment_ends"].append([entry.start_offset + end])
        columns["segment_lines"].append([lines])
        columns["segment_crc32"].append([zlib.crc32(view)])
        columns["repeated_lines"].append((inside - first_line).tolist())
        columns["repeated_occurrences"].append(piece.occurrences[inside].tolist())
        start, first_line = end, first_line + lines
    if first_line != len(piece.texts):
        raise ValueError(
            f"{entry.source_file}: {first_line} lines planned in chunks, {len(piece.texts)} read"
        )
    chunks = pa.table(
        {name: pa.array(values, CHUNK_SCHEMA.field(name).type) for name, values in columns.items()},
        schema=CHUNK_SCHEMA,
    )
    return ChunkedPiece(entry, piece.latin1_lines, chunks)


def batch_plan(pieces: list[ChunkedPiece], batch_id: int, ingested_at: datetime) -> pa.Table:
    """The plan of one micro-batch: its pieces' chunks, in order, with its id and time; the
    successive pieces of an archive joined in one chunk, read in one pass."""
    chunks = _join_archive_pieces(pa.concat_tables([piece.chunks for piece in pieces]))
    at_microseconds = (ingested_at - _EPOCH) // timedelta(microseconds=1)
    rows = chunks.num_rows
    return pa.Table.from_arrays(
        [
            *chunks.columns,
            pa.array(np.full(rows, batch_id, dtype=np.int64)),
            pa.array(np.full(rows, at_microseconds, dtype=np.int64)).cast(
                pa.timestamp("us", tz="UTC")
            ),
        ],
        schema=PLAN_SCHEMA,
    )


def _join_archive_pieces(chunks: pa.Table) -> pa.Table:
    """Chunks with each run of an archive's successive pieces made one chunk of segments."""
    joined: list[dict] = []
    for chunk in chunks.to_pylist():
        last = joined[-1] if joined else None
        if (
            last is not None
            and is_archive(Path(chunk["source_file"]))
            and last["source_file"] == chunk["source_file"]
            and last["segment_ends"][-1] == chunk["start_offset"]
        ):
            before = sum(last["segment_lines"])
            for name in ("segment_ends", "segment_lines", "segment_crc32"):
                last[name] += chunk[name]
            last["repeated_lines"] += [before + line for line in chunk["repeated_lines"]]
            last["repeated_occurrences"] += chunk["repeated_occurrences"]
            continue
        joined.append(chunk)
    return pa.Table.from_pylist(joined, schema=CHUNK_SCHEMA) if joined else chunks


def read_planned(plans: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Bronze rows of every chunk planned (mapInArrow's function: it runs on executors)."""
    for plan in plans:
        for chunk in plan.to_pylist():
            yield from chunk_rows(chunk)


def chunk_rows(chunk: dict) -> Iterator[pa.RecordBatch]:
    """The bronze rows of one planned chunk, read from its file, a segment at a time."""
    location = chunk["read_from"]
    repeats = np.array(chunk["repeated_lines"], dtype=np.int64)
    occurrences_of = np.array(chunk["repeated_occurrences"], dtype=np.int64)
    at_microseconds = (chunk["ingested_at"] - _EPOCH) // timedelta(microseconds=1)
    start, first_line = chunk["start_offset"], 0
    with _opened(location, start) as handle:
        for end, planned, crc in zip(
            chunk["segment_ends"], chunk["segment_lines"], chunk["segment_crc32"], strict=True
        ):
            data = _read(handle, location, start, end)
            if zlib.crc32(data) != crc:
                raise ChunkReadError(
                    location, f"bytes {start:,}-{end:,} are not the ones planned (changed since)"
                )
            texts, encodings = decode_lines(split_lines(data))
            count = len(texts)
            if count != planned:
                raise ChunkReadError(
                    location, f"{count} lines in bytes {start:,}-{end:,}, planned {planned}"
                )
            occurrences = np.ones(count, dtype=np.int64)
            inside = (repeats >= first_line) & (repeats < first_line + count)
            occurrences[repeats[inside] - first_line] = occurrences_of[inside]
            number = chunk["first_line_number"] + first_line
            yield pa.RecordBatch.from_arrays(
                [
                    texts,
                    encodings,
                    pa.concat_arrays(repeated(chunk["source_file"], count)),
                    pa.array(np.arange(number, number + count, dtype=np.int64)),
                    pa.array(occurrences),
                    pa.array(np.full(count, chunk["ingest_batch_id"], dtype=np.int64)),
                    pa.array(np.full(count, at_microseconds, dtype=np.int64)).cast(
                        pa.timestamp("us", tz="UTC")
                    ),
                    pa.concat_arrays(repeated(chunk["site"], count)),
                ],
                schema=RAW_SCHEMA,
            )
            start, first_line = end, first_line + count


@contextlib.contextmanager
def _opened(location: str, start: int) -> Iterator[BinaryIO]:
    """A file's content (decompressed, for an archive) at a path or an object store's URL,
    positioned at `start`."""
    try:
        with contextlib.ExitStack() as opened:
            if "://" in location:
                from pyarrow import fs

                filesystem, name = fs.FileSystem.from_uri(location)
                raw = opened.enter_context(filesystem.open_input_file(name))
                path = Path(name)
                handle = opened.enter_context(open_content(path, raw))
            else:
                path = Path(location)
                handle = opened.enter_context(open_content(path))
            if is_archive(path):
                _skip(handle, start)
            else:
                handle.seek(start)
            yield handle
    except (OSError, EOFError, zlib.error, pa.ArrowException) as error:
        raise ChunkReadError(location, f"{type(error).__name__}: {error}") from None


def _read(handle: BinaryIO, location: str, start: int, end: int) -> bytes:
    """The content bytes start..end, read in steps (a decompressor returns less than asked):
    from an archive damaged after them, the bytes before the damage are read without
    reaching it."""
    try:
        blocks, left = [], end - start
        while left > 0:
            block = handle.read(min(_READ_STEP, left))
            if not block:
                break
            blocks.append(block)
            left -= len(block)
    except (OSError, EOFError, zlib.error, pa.ArrowException) as error:
        raise ChunkReadError(location, f"{type(error).__name__}: {error}") from None
    if left > 0:
        raise ChunkReadError(
            location,
            f"it ends {left:,} bytes before the planned end {end:,} (truncated since)",
        )
    return b"".join(blocks)


def _skip(handle: BinaryIO, count: int) -> None:
    """Read past the first count bytes of a decompressing handle."""
    while count > 0:
        block = handle.read(min(_READ_STEP, count))
        if not block:
            return
        count -= len(block)


def path_map(setting: str) -> Callable[[str], str]:
    """Where executors find a file, from pairs `PREFIX=LOCATION,...`: a file under PREFIX
    (the longest that matches) is read at LOCATION, a folder or an object store's URL,
    followed by the rest of its path. A file under none (or with no pairs: every file) is
    read at its own path."""
    pairs = []
    for pair in (part.strip() for part in setting.split(",") if setting.strip()):
        prefix, equals, location = pair.partition("=")
        if not pair or not equals or not prefix.strip() or not location.strip():
            raise ValueError(f"{pair!r} is not PREFIX=LOCATION")
        pairs.append((prefix.strip().rstrip("/"), location.strip().rstrip("/")))
    pairs.sort(key=lambda pair: -len(pair[0]))

    def read_from(path: str) -> str:
        for prefix, location in pairs:
            if path.startswith(prefix + "/"):
                return location + path[len(prefix) :]
        return path

    return read_from


def unreadable_chunk(error: BaseException) -> str | None:
    """The one line an executor's ChunkReadError said, found in the error Spark raised."""
    found = re.search(re.escape(CHUNK_ERROR) + r" ([^\n]*)", str(error))
    return found.group(1).strip() if found else None
