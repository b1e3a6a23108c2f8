"""Reading a file forward: its content (decompressed), its running SHA-256, and the count of
every line read so far, which numbering identical lines needs."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import os
import zlib
from pathlib import Path
from typing import BinaryIO

from weblogs.ingest.lines import Lines, decode_lines, split_lines
from weblogs.ingest.occurrences import LineCounts, line_hashes

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open}
READ_BLOCK = 4 * 1024 * 1024
_ARCHIVE_STEP = 256 * 1024


def is_archive(path: Path) -> bool:
    """Whether the file is read through a decompressor (its offsets count content bytes)."""
    return path.suffix.lower() in _OPENERS


def open_content(path: Path, handle: BinaryIO | None = None) -> BinaryIO:
    """A file's content for reading, through a decompressor for an archive: the file at
    `path`, or the open `handle` of a file so named (one of an object store)."""
    opener = _OPENERS.get(path.suffix.lower())
    if opener:
        return opener(path if handle is None else handle, "rb")
    return open(path, "rb") if handle is None else handle


class FileStream:
    """A file's content (decompressed), read forward, with its running SHA-256 and the lines
    read so far counted (see weblogs.ingest.occurrences).

    A read error (a damaged archive) ends the content where it happened and is kept in
    `damage`: what was read before it stays usable. Reads hand out views of one buffer, not
    copies: a micro-batch is tens of megabytes.
    """

    def __init__(self, path: Path) -> None:
        self.compressed = is_archive(path)
        self.handle = open_content(path)
        self.offset = 0
        self.hasher = hashlib.sha256()
        self.counts = LineCounts()
        # The content's size where it is known before reading it (not through a decompressor).
        self.size = None if self.compressed else os.fstat(self.handle.fileno()).st_size
        # The start of a line read past but not ended yet (skip_to reads in blocks).
        self.unfinished = b""
        self.damage: str | None = None
        self.exhausted = False  # the end of the content was reached
        self.buffer: bytes | bytearray = b""
        self.start = 0  # where the unread part of the buffer begins

    def close(self) -> None:
        self.handle.close()

    def _fill(self, wanted: int) -> None:
        rest = len(self.buffer) - self.start
        if wanted <= rest or self.damage is not None or self.exhausted:
            return
        if self.compressed:
            blocks = [self.buffer[self.start :]]
            while rest < wanted and self.damage is None:
                try:
                    # Small steps: what decompressed before damage is kept.
                    block = self.handle.read1(_ARCHIVE_STEP)
                except (EOFError, OSError, zlib.error) as error:
                    self.damage = f"{type(error).__name__}: {error}"
                    break
                if not block:
                    self.exhausted = True
                    break
                blocks.append(block)
                rest += len(block)
            self.buffer, self.start = b"".join(blocks), 0
            return
        # Read straight after the unread rest, into one buffer: no copy of the block.
        size = max(READ_BLOCK, wanted)
        buffer = bytearray(size)
        buffer[:rest] = memoryview(self.buffer)[self.start :]
        filled = rest
        while filled < wanted:
            try:
                got = self.handle.readinto(memoryview(buffer)[filled:])
            except OSError as error:
                self.damage = f"{type(error).__name__}: {error}"
                break
            if not got:
                self.exhausted = True
                break
            filled += got
        del buffer[filled:]
        self.buffer, self.start = buffer, 0

    def available(self, size: int) -> int:
        """How many unread bytes there are, up to size."""
        self._fill(size)
        return min(size, len(self.buffer) - self.start)

    def peek(self, size: int) -> memoryview:
        """Up to size unread bytes, left unread."""
        size = self.available(size)  # first: filling may replace the buffer
        return memoryview(self.buffer)[self.start : self.start + size]

    def last_newline(self, size: int) -> int:
        """Where the last newline within the next size bytes is (-1: none)."""
        self._fill(size)
        found = self.buffer.rfind(b"\n", self.start, self.start + size)
        return found - self.start if found >= 0 else -1

    def _consume(self, size: int) -> tuple[int, int]:
        """Consume up to size bytes; their range in the buffer."""
        size = self.available(size)  # first: filling may replace the buffer
        start = self.start
        self.start += size
        self.hasher.update(memoryview(self.buffer)[start : self.start])
        self.offset += self.start - start
        return start, self.start

    def take_lines(self, size: int) -> Lines:
        """Consume up to size bytes, starting at a line, as lines numbered among all the
        identical lines read so far. A last line without a newline counts as a line. The
        bytes they were read from come along, as a view of the buffer (no copy)."""
        self._count_unfinished()
        start, end = self._consume(size)
        texts, encodings = decode_lines(split_lines(self.buffer, start, end))
        hashes = line_hashes(texts)
        self._make_room(len(hashes))
        content = memoryview(self.buffer)[start:end]
        return Lines(texts, encodings, self.counts.number(hashes), content)

    def _make_room(self, coming: int) -> None:
        """Size the line counts for the whole file from the distinct lines per byte read so
        far, once, instead of doubling them a dozen times through a large file."""
        if self.size and self.offset:
            self.counts.reserve((self.counts.size + coming) * self.size // self.offset)

    def skip_to(self, offset: int) -> None:
        """Consume up to `offset` (or the end of the content, if that comes first), counting
        its lines; `offset` ends a landed piece, so a line unfinished there counts as one."""
        while self.offset < offset:
            size = self.available(min(READ_BLOCK, offset - self.offset))
            if size == 0:
                break
            start, end = self._consume(size)
            first = self.buffer.find(b"\n", start, end)
            if first < 0:
                self.unfinished += self.buffer[start:end]
                continue
            if self.unfinished:
                self.unfinished += self.buffer[start : first + 1]
                self._count_unfinished()
                start = first + 1
            cut = self.buffer.rfind(b"\n", start, end) + 1
            self._count(self.buffer, start, cut)
            self.unfinished = self.buffer[cut:end]
        self._count_unfinished()

    def _count_unfinished(self) -> None:
        if self.unfinished:
            self._count(self.unfinished)
            self.unfinished = b""

    def _count(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        texts, _ = decode_lines(split_lines(data, start, end))
        self.counts.count(line_hashes(texts))
