"""Identical lines of a file are numbered in order however far apart they are: across
micro-batches, across runs of a growing file, and in files far larger than a batch."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pyarrow as pa
from deltalake import DeltaTable

from weblogs.bronze.delta import raw_table_path
from weblogs.ingest.lines import occurrence_numbers
from weblogs.ingest.micro_batches import ingest
from weblogs.ingest.occurrences import LineCounts, line_hashes
from weblogs.ingest.offers import Limits


def landed(warehouse: Path) -> list[tuple[int, str, int]]:
    rows = DeltaTable(str(raw_table_path(warehouse, "raw"))).to_pyarrow_table().to_pylist()
    return sorted((r["line_number"], r["line"], r["line_occurrence"]) for r in rows)


def expected(lines: list[str]) -> list[tuple[int, str, int]]:
    numbers = occurrence_numbers(pa.array(lines, type=pa.string())).tolist()
    return [(n, *pair) for n, pair in enumerate(zip(lines, numbers, strict=True), start=1)]


def test_counts_number_lines_as_a_dictionary_would() -> None:
    generator = random.Random(7)
    counts, seen = LineCounts(), {}
    # Few distinct values in many rounds: the table grows and probes past taken slots.
    for _ in range(40):
        keys = np.array([generator.randrange(1, 3000) for _ in range(500)], dtype=np.uint64)
        numbers = counts.number(keys).tolist()
        wanted = []
        for key in keys.tolist():
            seen[key] = seen.get(key, 0) + 1
            wanted.append(seen[key])
        assert numbers == wanted
    assert counts.size == len(seen)
    assert counts.number(np.zeros(0, dtype=np.uint64)).tolist() == []


def test_slots_shared_by_many_keys_still_count_each_key_apart() -> None:
    counts = LineCounts()
    # Keys equal modulo the table size all want the same slot.
    keys = np.array([1 + index * (1 << 40) for index in range(200)], dtype=np.uint64)
    assert counts.number(keys).tolist() == [1] * 200
    assert counts.number(keys[::-1]).tolist() == [2] * 200


def test_hashes_tell_lines_apart_and_agree_on_equal_ones() -> None:
    hashes = line_hashes(pa.array(["a", "b", "a", "", "é"], type=pa.string()))
    assert hashes[0] == hashes[2]
    assert len({int(value) for value in hashes}) == 4
    assert (hashes != 0).all()


def test_hashes_come_back_in_the_lines_order() -> None:
    """Hundreds of thousands of lines, hashed by an engine with threads of its own: each
    hash is its own line's, whatever its position."""
    generator = random.Random(11)
    distinct = [f"line {index} " + "x" * generator.randrange(0, 300) for index in range(5000)]
    lines = [generator.choice(distinct) for _ in range(300_000)]
    alone = {text: int(line_hashes(pa.array([text]))[0]) for text in distinct[:200]}
    hashes = line_hashes(pa.array(lines, type=pa.large_string())).tolist()
    by_text: dict[str, int] = {}
    for text, value in zip(lines, hashes, strict=True):
        assert by_text.setdefault(text, value) == value
        assert alone.get(text, value) == value
    assert len(set(by_text.values())) == len(by_text) > 4000
    counts = LineCounts()
    counts.reserve(len(distinct))  # room made at once: no growing while numbering
    # occurrence_numbers groups the texts themselves, no hash involved.
    wanted = occurrence_numbers(pa.array(lines, type=pa.string())).tolist()
    assert counts.number(np.array(hashes, dtype=np.uint64)).tolist() == wanted


def test_repeats_far_apart_in_one_file_keep_their_numbers(tmp_path: Path) -> None:
    """A block of lines repeated many batches later: every copy is a new occurrence."""
    block = [f"10.0.0.{n % 50} GET /page/{n % 70}" for n in range(400)]
    lines = block * 6 + ["last"]
    log = tmp_path / "far.log"
    log.write_text("\n".join(lines) + "\n")
    warehouse = tmp_path / "warehouse"
    result = ingest([log], warehouse, "raw", limits=Limits(max_bytes=2_000, settle_seconds=0))
    assert len(result.batches) > 20  # each copy of the block spans several batches
    assert landed(warehouse) == expected(lines)


def test_a_growing_file_counts_its_landed_lines_again(tmp_path: Path) -> None:
    """Each run of a growing file reads its landed part again and numbers on from there."""
    log = tmp_path / "live.log"
    warehouse = tmp_path / "warehouse"
    lines: list[str] = []
    for run in range(4):
        added = [f"same line {n % 3}" for n in range(run * 10, run * 10 + 25)]
        with log.open("a") as handle:
            handle.write("".join(f"{line}\n" for line in added))
        lines += added
        ingest([log], warehouse, "raw", limits=Limits(max_bytes=64, settle_seconds=0))
    assert landed(warehouse) == expected(lines)


def test_lines_longer_than_a_batch_are_numbered_as_they_land(tmp_path: Path) -> None:
    """A line cut at the batch size lands as pieces; a later run counts the pieces again."""
    long = "x" * 50
    log = tmp_path / "long.log"
    log.write_text(f"{long}\nshort\n{long}\n")
    warehouse = tmp_path / "warehouse"
    limits = Limits(max_bytes=32, settle_seconds=0)
    ingest([log], warehouse, "raw", limits=limits)
    with log.open("a") as handle:
        handle.write(f"short\n{long}\n")
    ingest([log], warehouse, "raw", limits=limits)
    pieces = [(line, occurrence) for _, line, occurrence in landed(warehouse)]
    head, rest = long[:32], long[32:]
    assert pieces == [
        (head, 1), (rest, 1), ("short", 1), (head, 2), (rest, 2),
        ("short", 2), (head, 3), (rest, 3),
    ]  # fmt: skip


def test_a_repeat_more_than_16_mib_later_is_a_new_occurrence(tmp_path: Path) -> None:
    """Numbering once looked back 16 MiB only: a repeat in a later batch beyond that started
    again at 1, and the merge then dropped it as a replay."""
    log = tmp_path / "big.log"
    with log.open("w") as handle:
        handle.write("the same request\n")
        handle.writelines(f"request {n:09d} {'.' * 40}\n" for n in range(360_000))
        handle.write("the same request\n")
    assert log.stat().st_size > 17 * 2**20
    warehouse = tmp_path / "warehouse"
    ingest([log], warehouse, "raw", limits=Limits(max_bytes=2 * 2**20, settle_seconds=0))
    table = DeltaTable(str(raw_table_path(warehouse, "raw"))).to_pyarrow_table()
    repeats = table.filter(pa.compute.equal(table["line"], "the same request"))
    assert sorted(repeats["line_occurrence"].to_pylist()) == [1, 2]
