"""A long backlog built in slices of ingest batches, so a build's memory follows the slice.

A build holds what it reads from bronze in memory: parsing, the dedupe merge and the data
tests of a cold build read every line landed. When bronze is ahead of the models by more
than a slice's worth of lines, `weblogs build` runs one dbt invocation per slice instead:
each takes the next batches from bronze up to its last one (weblogs.build.state's batch
ceiling), and the invocations after the first are incremental builds of those batches
alone. Each is a complete build of the project, so each records its marks, and a build
stopped between slices resumes from the last slice built.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# Lines of bronze one dbt invocation builds at most, unless a single batch holds more.
DEFAULT_LINES_PER_BUILD = 4_000_000


def lines_by_batch(warehouse: Path, raw_schema: str) -> dict[int, int]:
    """Lines each landed batch holds, from the ingest ledger."""
    from weblogs.bronze.delta import load_ledger
    from weblogs.ingest.ledger import LANDED

    counts: dict[int, int] = {}
    for entry in load_ledger(warehouse, raw_schema).entries:
        if entry.batch_id is not None and entry.status in LANDED:
            counts[entry.batch_id] = counts.get(entry.batch_id, 0) + entry.line_count
    return counts


def slice_ceilings(
    batch_lines: Mapping[int, int], after_batch: int, lines_per_build: int
) -> list[int]:
    """The last batch of each slice of the batches after `after_batch`, in order: whole
    batches, at most `lines_per_build` lines a slice (a larger batch is a slice alone), in
    as few slices as that allows, and of those the largest as small as whole batches allow
    (57 batches of 283k lines at 4M a slice: four of 12 batches and one of 9, not four of
    14 and one of 1). `lines_per_build` 0 puts every batch in one slice."""
    batches = sorted(batch for batch in batch_lines if batch > after_batch)
    if not batches:
        return []
    if not lines_per_build:
        return [batches[-1]]
    fewest = len(_greedy(batches, batch_lines, lines_per_build))
    # The smallest cap that still needs no more slices: binary search between the largest
    # batch (a cap below it changes nothing) and the limit.
    low = max(1, min(lines_per_build, max(batch_lines[batch] for batch in batches)))
    high = lines_per_build
    while low < high:
        middle = (low + high) // 2
        if len(_greedy(batches, batch_lines, middle)) <= fewest:
            high = middle
        else:
            low = middle + 1
    return _greedy(batches, batch_lines, high)


def _greedy(batches: list[int], batch_lines: Mapping[int, int], cap: int) -> list[int]:
    """Slices filled in order up to `cap` lines each: the last batch of each."""
    ceilings: list[int] = []
    in_slice = 0
    for index, batch in enumerate(batches):
        lines = batch_lines[batch]
        if in_slice and in_slice + lines > cap:
            ceilings.append(batches[index - 1])
            in_slice = 0
        in_slice += lines
    ceilings.append(batches[-1])
    return ceilings
