"""A file offered again unchanged is nothing new, whatever its kind: it is not recorded as a
duplicate of itself."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from deltalake import DeltaTable

from weblogs.bronze.delta import ledger_table_path
from weblogs.ingest.micro_batches import ingest
from weblogs.ingest.offers import Limits


def ledger_statuses(warehouse: Path) -> list[tuple[str, str]]:
    rows = DeltaTable(str(ledger_table_path(warehouse, "raw"))).to_pyarrow_table().to_pylist()
    return sorted((row["status"], Path(row["source_file"]).name) for row in rows)


@pytest.mark.parametrize("name", ["access.log", "access.log.gz"])
def test_an_unchanged_file_offered_again_adds_nothing_to_the_ledger(
    tmp_path: Path, name: str
) -> None:
    """An unchanged .gz was recorded as "content already landed from <itself>", so `status`
    counted a duplicate nobody made."""
    warehouse = tmp_path / "warehouse"
    log = tmp_path / name
    content = b"".join(f"line {n}\n".encode() for n in range(50))
    log.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
    # Written a minute ago: settled, as a rotated log offered again is.
    old = log.stat().st_mtime - 60
    os.utime(log, (old, old))
    assert ingest([log], warehouse, "raw").lines == 50
    again = ingest([log], warehouse, "raw")
    assert (again.lines, again.duplicates) == (0, 0)
    assert ledger_statuses(warehouse) == [("ingested", name)]


@pytest.mark.parametrize("name", ["access.log", "access.log.gz"])
def test_a_file_touched_but_unchanged_is_not_a_duplicate_of_itself(
    tmp_path: Path, name: str
) -> None:
    warehouse = tmp_path / "warehouse"
    log = tmp_path / name
    content = b"a\nb\n"
    log.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
    assert ingest([log], warehouse, "raw").lines == 2
    later = log.stat().st_mtime + 10
    os.utime(log, (later, later))
    again = ingest([log], warehouse, "raw")
    assert (again.lines, again.duplicates) == (0, 0)
    assert ledger_statuses(warehouse) == [("ingested", name)]


def test_an_archive_landed_in_pieces_is_read_on_until_its_end(tmp_path: Path) -> None:
    """An archive cut into pieces by the batch size, stopped part way: the rest lands the
    next time (only an archive read to its end is known to hold nothing more)."""
    warehouse = tmp_path / "warehouse"
    log = tmp_path / "access.log.gz"
    log.write_bytes(gzip.compress(b"".join(f"line {n:04}\n".encode() for n in range(400))))
    old = log.stat().st_mtime - 60
    os.utime(log, (old, old))
    limits = Limits(max_bytes=1_000, max_files=1)
    calls = []

    def stop_after_first() -> bool:
        calls.append(1)
        return len(calls) > 2

    from weblogs.ingest.micro_batches import ingest_offers
    from weblogs.ingest.offers import Offer

    first = ingest_offers([Offer(log)], warehouse, "raw", limits, should_stop=stop_after_first)
    assert 0 < first.lines < 400
    rest = ingest([log], warehouse, "raw", limits=limits)
    assert first.lines + rest.lines == 400
    assert ingest([log], warehouse, "raw", limits=limits).lines == 0
