"""Reading a file forward: its content (decompressed), its running SHA-256, and the text
just before the read position that numbering identical lines needs."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import zlib
from pathlib import Path
from typing import BinaryIO

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open}
# Identical lines are numbered within this much of the text before them (see occurrences).
OCCURRENCE_WINDOW = 16 * 1024 * 1024
READ_BLOCK = 4 * 1024 * 1024
_ARCHIVE_STEP = 256 * 1024


def is_archive(path: Path) -> bool:
    """Whether the file is read through a decompressor (its offsets count content bytes)."""
    return path.suffix.lower() in _OPENERS


class FileStream:
    """A file's content (decompressed), read forward, with its running SHA-256 and the
    last OCCURRENCE_WINDOW bytes kept as context.

    A read error (a damaged archive) ends the content where it happened and is kept in
    `damage`: what was read before it stays usable.
    """

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
                    block = self.handle.read(max(READ_BLOCK, missing))
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

    def skip_to(self, offset: int) -> None:
        """Consume up to `offset` (or the end of the content, if that comes first)."""
        while self.offset < offset:
            if not self.take(min(READ_BLOCK, offset - self.offset)):
                break

    def context_lines(self) -> bytes:
        """The kept context from its first complete line on."""
        if self.context_start == 0:
            return self.context
        newline = self.context.find(b"\n")
        return self.context[newline + 1 :] if newline >= 0 else b""
