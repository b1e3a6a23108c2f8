"""Splitting a block of a file into lines, decoding them and numbering identical ones.

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
    """Lines of a block: their text, encoding and occurrence number."""

    texts: pa.StringArray
    encodings: pa.StringArray
    occurrences: np.ndarray


def split_lines(block: bytes) -> pa.LargeBinaryArray:
    """The lines of a block as bytes, line endings removed."""
    if not block:
        return pa.array([], type=pa.large_binary())
    # The block as one Arrow value without copying it, its final newline left out.
    end = len(block) - 1 if block.endswith(b"\n") else len(block)
    offsets = pa.py_buffer(np.array([0, end], dtype=np.int64))
    whole = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 1, [None, offsets, pa.py_buffer(block)]
    )
    lines = pc.split_pattern(whole, b"\n").flatten()
    if b"\r" in block:
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
    return texts, pa.array(np.full(len(texts), _UTF8, dtype=object), type=pa.string())


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


def numbered_lines(context: bytes, block: bytes) -> Lines:
    """The lines of a block, each numbered among the identical lines of the context (the
    complete lines just before the block) and of the block itself."""
    context_texts, _ = decode_lines(split_lines(context))
    texts, encodings = decode_lines(split_lines(block))
    numbers = occurrence_numbers(pa.concat_arrays([context_texts, texts]))
    return Lines(texts, encodings, numbers[len(context_texts) :])
