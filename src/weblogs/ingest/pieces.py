"""Planning a file's new pieces against the ledger.

A file is known by its content, not its name. When a file is offered again, the longest
landed prefix it still starts with (same SHA-256 from its start to that prefix's end) is
skipped; only the bytes after it are new. So a renamed or copied file adds nothing, and a
live log that grew adds only its new lines. A last line without a newline is held back
until the file has not changed for ``settle_seconds``: a writer may still be finishing it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from weblogs.ingest.ledger import Ledger, LedgerEntry
from weblogs.ingest.offers import Limits, Offer
from weblogs.ingest.stream import FileStream

# The first line (or this many bytes of it) is a file's lookup key in the ledger.
HEAD_BYTES = 64 * 1024
# A piece is read into memory whole: at most this much, or a smaller micro-batch's bytes. A
# larger batch takes several pieces of a file.
PIECE_BYTES = 64 * 1024 * 1024


@dataclass
class Piece:
    """New complete lines of one file, ready to land, and the ledger entry describing them;
    with the bytes they were read from (content offsets start_offset..end_offset), from
    which a writer whose engine reads the file itself plans what to read
    (weblogs.bronze.chunks)."""

    entry: LedgerEntry
    texts: pa.StringArray
    encodings: pa.StringArray
    occurrences: np.ndarray
    content: memoryview

    @property
    def size(self) -> int:
        return self.entry.end_offset - self.entry.start_offset

    @property
    def latin1_lines(self) -> int:
        return int(pc.sum(pc.equal(self.encodings, "latin-1")).as_py() or 0)


class Held(Protocol):
    """What a micro-batch holds of a piece until it lands: the piece, or what the bronze
    writer keeps of it (weblogs.bronze.base.Bronze.keep)."""

    entry: LedgerEntry

    @property
    def size(self) -> int: ...

    @property
    def latin1_lines(self) -> int: ...


def head_key(data: bytes) -> str:
    """A file's lookup key: the hash of its first line, or of its first HEAD_BYTES."""
    data = bytes(data)
    end = data.find(b"\n", 0, HEAD_BYTES)
    return hashlib.sha256(data[: end + 1] if end >= 0 else data[:HEAD_BYTES]).hexdigest()


def nothing_new(seen: LedgerEntry | None, stat: os.stat_result, settled: bool) -> bool:
    """Whether a file has nothing to land: the ledger saw it at this size and time, and
    nothing of it is waiting (or what waits is an unfinished line that has not settled, the
    rest of a damaged archive, or a file that could not be read)."""
    return (
        seen is not None
        and (seen.file_size, seen.file_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        and (seen.pending_bytes == 0 or seen.status in ("damaged", "unreadable") or not settled)
    )


def landed_copy(offer: Offer, ledger: Ledger) -> bool:
    """Whether a file holds exactly content already landed (a rotated log renamed, copied
    or compressed): an ingest would land nothing of it. Read only when the ledger holds a
    landed piece that starts as it does and, for a plain file, ends at its size."""
    try:
        stream = FileStream(offer.path)
    except OSError:
        return False
    try:
        prefixes = ledger.landed_prefixes(offer.site, head_key(stream.peek(HEAD_BYTES)))
        if stream.size is not None:
            prefixes = [entry for entry in prefixes if entry.end_offset <= stream.size]
            if not any(entry.end_offset == stream.size for entry in prefixes):
                return False
        if not prefixes:
            return False
        stream, prefix = _skip_verified_prefix(offer, stream, prefixes)
        return prefix is not None and stream.available(1) == 0
    finally:
        stream.close()


def _skip_verified_prefix(
    offer: Offer, stream: FileStream, prefixes: list[LedgerEntry]
) -> tuple[FileStream, LedgerEntry | None]:
    """Read forward through the recorded prefixes; return a stream positioned at the end of
    the longest one the file still starts with, and that entry."""
    best: LedgerEntry | None = None
    for entry in prefixes:
        stream.skip_to(entry.end_offset)
        if stream.offset != entry.end_offset:
            break
        if stream.hasher.hexdigest() == entry.content_sha256:
            best = entry
    if (best.end_offset if best else 0) == stream.offset:
        return stream, best
    # Read past a prefix that did not match: start again and stop at the one that did,
    # passing each landed piece's end on the way (a line cut there counted as it landed).
    stream.close()
    fresh = FileStream(offer.path)
    for entry in prefixes:
        if best is None or entry.end_offset > best.end_offset:
            break
        fresh.skip_to(entry.end_offset)
    return fresh, best


def file_pieces(
    offer: Offer, ledger: Ledger, limits: Limits, now: float | None = None
) -> Iterator[Piece | LedgerEntry]:
    """The new lines of one file as pieces of at most PIECE_BYTES (or limits.max_bytes, if
    smaller), then (if nothing landed) one note saying why: duplicate, empty or unreadable.
    A file unchanged since the ledger last saw it yields nothing and is not read, unless it
    was unreadable: its permissions may have been fixed since. One read again that holds
    only what it landed itself (touched, not changed) yields nothing either: it is no
    duplicate of itself.

    Each piece is added to the ledger as it is planned, so a copy offered later in the same
    run is recognised before anything is committed. Notes are left to the caller to add.
    """
    now = time.time() if now is None else now
    path, site = offer.path, offer.site
    try:
        stat = path.stat()
    except OSError as error:
        yield _note(offer, "unreadable", 0, 0, f"{error}")
        return
    settled = now - stat.st_mtime >= limits.settle_seconds
    seen = ledger.last_seen(site, str(path))
    # Unreadable is tried again even unchanged: a permission fix changes neither size nor time.
    if nothing_new(seen, stat, settled) and seen.status != "unreadable":
        return
    recorded_at = datetime.now(UTC)

    def entry_for(status: str, **values) -> LedgerEntry:
        return LedgerEntry(
            batch_id=None,
            site=site,
            source_file=str(path),
            status=status,
            file_size=stat.st_size,
            file_mtime_ns=stat.st_mtime_ns,
            recorded_at=recorded_at,
            **values,
        )

    try:
        stream = FileStream(path)
    except OSError as error:
        yield _note(offer, "unreadable", stat.st_size, stat.st_mtime_ns, f"{error}")
        return
    try:
        head = head_key(stream.peek(HEAD_BYTES))
        stream, prefix = _skip_verified_prefix(offer, stream, ledger.landed_prefixes(site, head))
        settled = settled or (stream.compressed and stream.damage is None)
        lines_before = prefix.lines_before + prefix.line_count if prefix else 0
        landed_any = False
        piece_bytes = min(limits.max_bytes or PIECE_BYTES, PIECE_BYTES)
        while True:
            available = stream.available(piece_bytes)
            last_newline = stream.last_newline(piece_bytes)
            at_end = available < piece_bytes
            if last_newline >= 0:
                size = last_newline + 1
            elif at_end and available and settled and stream.damage is None:
                size = available  # a finished file's last line without a newline
            elif not at_end:
                size = available  # a line longer than a piece: cut it, never drop it
            else:
                break
            start = stream.offset
            lines = stream.take_lines(size)
            pending = stream.available(piece_bytes + 1)
            more = pending > 0
            # Damaged (a truncated archive): nothing complete is left to land after this.
            stranded = stream.damage is not None and stream.last_newline(pending) < 0
            status = "damaged" if stranded else "ingested"
            entry = entry_for(
                status,
                head_sha256=head,
                content_sha256=stream.hasher.hexdigest(),
                start_offset=start,
                end_offset=stream.offset,
                line_count=len(lines.texts),
                lines_before=lines_before,
                # An archive's bytes after a piece are unknown until read (-1), except at
                # its end: then nothing is pending, and unchanged it is not read again.
                pending_bytes=pending if not stream.compressed or stranded or not more else -1,
                message=stream.damage if status == "damaged" else None,
            )
            lines_before += len(lines.texts)
            ledger.add(entry)
            landed_any = True
            yield Piece(entry, *lines)
            if not more or stranded:
                break
        if landed_any:
            return
        tail = stream.available(piece_bytes)
        if stream.damage and not prefix:
            yield entry_for(
                "unreadable", head_sha256=None, content_sha256=None, start_offset=0,
                end_offset=0, line_count=0, lines_before=0, pending_bytes=tail,
                message=stream.damage,
            )  # fmt: skip
        elif tail:
            return  # only an unfinished last line: look again once it settles
        elif prefix is not None and prefix.source_file == str(path):
            return  # its own lines, landed before (a touched file): nothing new, no duplicate
        elif prefix is None:
            yield entry_for(
                "empty", head_sha256=None, content_sha256=None, start_offset=0, end_offset=0,
                line_count=0, lines_before=0, pending_bytes=0,
            )  # fmt: skip
        else:
            yield entry_for(
                "duplicate", head_sha256=head, content_sha256=prefix.content_sha256,
                start_offset=0, end_offset=prefix.end_offset, line_count=0,
                lines_before=0, pending_bytes=0,
                message=f"content already landed from {prefix.source_file}",
            )  # fmt: skip
    finally:
        stream.close()


def _note(offer: Offer, status: str, size: int, mtime_ns: int, message: str) -> LedgerEntry:
    """A note of a file that could not be opened or looked at."""
    return LedgerEntry(
        batch_id=None, site=offer.site, source_file=str(offer.path), status=status,
        head_sha256=None, content_sha256=None, start_offset=0, end_offset=0, line_count=0,
        lines_before=0, pending_bytes=-1, file_size=size, file_mtime_ns=mtime_ns,
        recorded_at=datetime.now(UTC), message=message,
    )  # fmt: skip
