from collections.abc import Iterator

import pandas as pd


def number_occurrences(lines: list[str]) -> list[int]:
    """For each line of a file, how many identical lines precede it, plus one."""
    seen: dict[str, int] = {}
    numbers = []
    for line in lines:
        seen[line] = seen.get(line, 0) + 1
        numbers.append(seen[line])
    return numbers


def line_occurrences(files: pd.Series) -> pd.Series:
    """One array of occurrence numbers per file (an array of its lines), in one pass."""
    return files.map(lambda lines: None if lines is None else number_occurrences(list(lines)))


def line_occurrences_batches(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
    """Vectorized entry point: one pandas Series per Arrow batch, not one call per row."""
    for files in batches:
        yield line_occurrences(files)
