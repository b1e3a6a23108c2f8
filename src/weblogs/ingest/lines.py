"""Splitting a block of a file into lines and decoding them.

The one place that decides what a line is: LF ends a line and a CR before it belongs to the
ending; a last line without a final newline is still a line; an empty block has none. Each
line is UTF-8 where valid, else latin-1, which maps each byte to one character, so the
original bytes stay recoverable (`line.encode('latin-1')`). All of it runs on Arrow arrays,
without a Python object per line unless a block holds a line that is not valid UTF-8.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_UTF8, _LATIN1 = "utf-8", "latin-1"


class Lines(NamedTuple):
    """Lines of a block: their text, encoding and occurrence number, and the block's bytes."""

    texts: pa.StringArray
    encodings: pa.StringArray
    occurrences: np.ndarray
    content: memoryview


def split_lines(block: bytes, start: int = 0, end: int | None = None) -> pa.LargeBinaryArray:
    """The lines of a block (or of block[start:end], read in place), line endings removed."""
    end = len(block) if end is None else end
    if end <= start:
        return pa.array([], type=pa.large_binary())
    # The block as one Arrow value without copying it, its final newline left out.
    last = end - 1 if block.endswith(b"\n", start, end) else end
    offsets = pa.py_buffer(np.array([start, last], dtype=np.int64))
    whole = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 1, [None, offsets, pa.py_buffer(block)]
    )
    lines = pc.split_pattern(whole, b"\n").flatten()
    if block.find(b"\r", start, end) >= 0:
        lines = pc.replace_substring_regex(lines, "\r$", "")
    return lines


def decode_lines(lines: pa.Array) -> tuple[pa.StringArray, pa.StringArray]:
    """Text and encoding per line: UTF-8 where valid, else latin-1."""
    try:
        texts = lines.cast(pa.string())
    except pa.ArrowInvalid:
        decoded = [_decode(line) for line in lines.to_pylist()]
        return (
            pa.array([text for text, _ in decoded], type=pa.string()),
            pa.array([encoding for _, encoding in decoded], type=pa.string()),
        )
    return texts, pa.concat_arrays(repeated(_UTF8, len(texts)))


def repeated(value: str, count: int) -> list[pa.StringArray]:
    """One string repeated, built from its buffers (no Python object per row), in chunks
    that keep each chunk's text under Arrow's 2 GiB string limit."""
    data = value.encode()
    rows_per_chunk = max(1, (2**31 - 1) // max(1, len(data)))
    chunks = []
    for start in range(0, count, rows_per_chunk):
        rows = min(rows_per_chunk, count - start)
        offsets = np.arange(rows + 1, dtype=np.int32) * np.int32(len(data))
        chunks.append(
            pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data * rows))
        )
    return chunks or [pa.array([], type=pa.string())]


def _decode(line: bytes) -> tuple[str, str]:
    try:
        return line.decode(_UTF8), _UTF8
    except UnicodeDecodeError:
        return line.decode(_LATIN1), _LATIN1


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
