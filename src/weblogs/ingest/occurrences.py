"""Numbering identical lines across a whole file, however far apart they are.

A line's occurrence number is one plus the number of identical lines before it in its file.
Every line of a file read so far is remembered as a 64-bit hash with a count, in an
open-addressing table of two numpy arrays (12 bytes a slot, at most half full), so memory
follows the file's distinct lines, not its size in bytes, and no line is held as text.

The hash is DuckDB's hash() of the text, computed over the Arrow buffers without a Python
object per line (pandas' SipHash over one object per line took about 16 times as long), and
the same in every process: a file read again (a live log that grew) is counted again to the
same numbers. Two different lines of one file sharing a hash would share a counter: their
numbers stay unique and repeatable, so no request is lost or doubled, but they would count
each other (odds about n²/2⁶⁵ for n distinct lines: 7e-6 for a file of 16 million).
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa

_EMPTY = np.uint64(0)
_INITIAL_SLOTS = 1 << 12


_local = threading.local()


def line_hashes(texts: pa.Array) -> np.ndarray:
    """A 64-bit hash per line, in the lines' order (never 0, which marks an empty slot)."""
    if len(texts) == 0:
        return np.zeros(0, dtype=np.uint64)
    if not hasattr(_local, "connection"):  # one per thread: a connection is not shared
        import duckdb

        _local.connection = duckdb.connect()
    lines = pa.table({"line": texts})  # noqa: F841 (read by the query below, by name)
    found = _local.connection.execute("select hash(line) as hashed from lines")
    hashes = found.fetchnumpy()["hashed"].astype(np.uint64, copy=False)
    hashes[hashes == _EMPTY] = 1
    return hashes


class LineCounts:
    """How many times each line hash has been seen."""

    def __init__(self) -> None:
        self.keys = np.zeros(_INITIAL_SLOTS, dtype=np.uint64)
        self.counts = np.zeros(_INITIAL_SLOTS, dtype=np.uint32)
        self.size = 0

    def reserve(self, lines: int) -> None:
        """Make room for about this many distinct lines at once: growing step by step
        re-adds every key at each doubling."""
        if 2 * lines > len(self.keys):
            self._grow(2 * lines)

    def number(self, hashes: np.ndarray) -> np.ndarray:
        """Occurrence numbers of lines with these hashes, in order, counting them in."""
        count = len(hashes)
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        # Numpy's stable sort of 64-bit keys is a merge sort, about six times as slow as its
        # default one; the order within each run of equal hashes is put right below.
        order = np.argsort(hashes)
        ordered = hashes[order]
        starts = np.ones(count, dtype=bool)
        starts[1:] = ordered[1:] != ordered[:-1]
        first = np.flatnonzero(starts)
        positions = np.arange(count, dtype=np.int64)
        group = np.cumsum(starts) - 1
        sizes = np.diff(np.append(first, count))
        repeated = np.flatnonzero(sizes[group] > 1)
        if len(repeated):
            # Equal hashes in the order of their lines: by group, then by position (a
            # unique key, so any sort will do).
            key = group[repeated] * count + order[repeated]
            order[repeated] = order[repeated][np.argsort(key)]
        before = self.add(ordered[first], sizes)
        numbers = np.empty(count, dtype=np.int64)
        numbers[order] = before[group] + (positions - first[group]) + 1
        return numbers

    def count(self, hashes: np.ndarray) -> None:
        """Count lines in without numbering them (lines read past, already landed)."""
        if len(hashes):
            keys, counts = np.unique(hashes, return_counts=True)
            self.add(keys, counts)

    def add(self, keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Add counts to distinct keys; return each key's count before."""
        if 2 * (self.size + len(keys)) > len(self.keys):
            self._grow(2 * (self.size + len(keys)))
        mask = np.uint64(len(self.keys) - 1)
        before = np.zeros(len(keys), dtype=np.int64)
        pending = np.arange(len(keys))
        slots = keys & mask
        while len(pending):
            wanted, slot = keys[pending], slots[pending]
            held = self.keys[slot]
            found = held == wanted
            hit = pending[found]
            before[hit] = self.counts[slot[found]]
            self.counts[slot[found]] += counts[hit].astype(np.uint32)
            free = np.flatnonzero(held == _EMPTY)
            # Several new keys may reach one free slot in the same round: one of them takes
            # it (the last written), the others probe on.
            self.keys[slot[free]] = wanted[free]
            claimed = free[self.keys[slot[free]] == wanted[free]]
            self.counts[slot[claimed]] = counts[pending[claimed]].astype(np.uint32)
            self.size += len(claimed)
            settled = found
            settled[claimed] = True
            pending = pending[~settled]
            slots[pending] = (slots[pending] + np.uint64(1)) & mask
        return before

    def _grow(self, wanted: int) -> None:
        slots = max(_INITIAL_SLOTS, 1 << (wanted - 1).bit_length())
        used = self.keys != _EMPTY
        keys, counts = self.keys[used], self.counts[used]
        self.keys = np.zeros(slots, dtype=np.uint64)
        self.counts = np.zeros(slots, dtype=np.uint32)
        self.size = 0
        self.add(keys, counts.astype(np.int64))
