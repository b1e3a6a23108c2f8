"""The raw layer: every line lands exactly once, with its origin, in bounded batches."""

from __future__ import annotations

import bz2
import gzip
import os
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from weblogs.bronze.base import RAW_SCHEMA
from weblogs.bronze.delta import ledger_table_path, raw_table_path
from weblogs.ingest import pieces
from weblogs.ingest.lines import decode_lines, occurrence_numbers, split_lines
from weblogs.ingest.micro_batches import ingest
from weblogs.ingest.offers import Limits, expand_paths, landing_offers

SETTLED = Limits(settle_seconds=0)


def bronze(warehouse: Path) -> list[dict]:
    table = DeltaTable(str(raw_table_path(warehouse, "raw"))).to_pyarrow_table()
    return sorted(
        table.to_pylist(),
        key=lambda row: (row["ingest_batch_id"], row["source_file"], row["line_number"]),
    )


def ledger(warehouse: Path) -> list[dict]:
    return DeltaTable(str(ledger_table_path(warehouse, "raw"))).to_pyarrow_table().to_pylist()


def test_split_lines_keeps_every_line_and_drops_only_line_endings() -> None:
    assert split_lines(b"a\r\nb\n\nc").to_pylist() == [b"a", b"b", b"", b"c"]
    assert split_lines(b"a\n").to_pylist() == [b"a"]
    assert split_lines(b"").to_pylist() == []
    assert split_lines(b"\n").to_pylist() == [b""]
    # A CR inside a line is data, only the one before LF is part of the ending.
    assert split_lines(b"a\rb\r\r\n").to_pylist() == [b"a\rb\r"]


def test_invalid_utf8_lines_are_kept_as_latin1_and_recoverable() -> None:
    raw = [b"ok \xc3\xa9", b"bad \xff\xfe", b"nul \x00 byte"]
    texts, encodings = (column.to_pylist() for column in decode_lines(pa.array(raw)))
    assert encodings == ["utf-8", "latin-1", "utf-8"]
    assert texts[0] == "ok \u00e9"
    assert texts[1].encode("latin-1") == raw[1]
    assert texts[2] == "nul \x00 byte"


def test_occurrence_numbers_count_identical_lines_in_order() -> None:
    lines = pa.array(["x", "y", "x", "z", "x", "y"])
    assert occurrence_numbers(lines).tolist() == [1, 1, 2, 1, 3, 2]
    assert occurrence_numbers(pa.array([], type=pa.string())).tolist() == []


def test_expand_paths_walks_folders_globs_and_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "site" / "2026").mkdir(parents=True)
    (tmp_path / "site" / "2026" / "b.log").write_text("b\n")
    (tmp_path / "site" / "a.log").write_text("a\n")
    (tmp_path / "site" / ".partial").write_text("x\n")
    found = expand_paths([tmp_path / "site"])
    relative = [path.relative_to((tmp_path / "site").resolve()).as_posix() for path in found]
    assert relative == ["2026/b.log", "a.log"]
    assert expand_paths([f"{tmp_path}/site/**/*.log"]) == found
    # A file named twice is offered once.
    assert expand_paths([tmp_path / "site" / "a.log"] * 2) == [found[1]]
    with pytest.raises(FileNotFoundError, match="no such file"):
        expand_paths([tmp_path / "missing.log"])
    with pytest.raises(FileNotFoundError, match="no file matches"):
        expand_paths([f"{tmp_path}/*.gz"])


def test_landing_folders_name_the_site(tmp_path: Path) -> None:
    (tmp_path / "shop" / "2026").mkdir(parents=True)
    (tmp_path / "shop" / "2026" / "a.log").write_text("a\n")
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "b.log").write_text("b\n")
    (tmp_path / "top.log").write_text("c\n")
    offers = {offer.path.name: offer.site for offer in landing_offers(tmp_path)}
    assert offers == {"a.log": "shop", "b.log": "blog", "top.log": "default"}


def test_ingest_lands_lines_with_lineage(tmp_path: Path) -> None:
    plain = tmp_path / "access.log"
    plain.write_bytes(b"first\r\nsame\nsame\nlast without newline")
    packed = tmp_path / "older.log.gz"
    packed.write_bytes(gzip.compress(b"gz line \xff\n"))
    warehouse = tmp_path / "warehouse"

    first = ingest([plain], warehouse, "raw", limits=SETTLED)
    second = ingest([plain, packed], warehouse, "raw", limits=SETTLED)
    # Sites are separate: the same bytes offered for another site are that site's lines.
    third = ingest([plain], warehouse, "raw", limits=SETTLED, site="shop")

    assert (first.batch_id, first.lines) == (1, 4)
    # The plain file is the same content again: only the archive is new.
    assert (second.batch_id, second.lines, second.latin1_lines) == (2, 1, 1)
    assert (third.batch_id, third.lines) == (3, 4)
    rows = bronze(warehouse)
    assert [row["line"] for row in rows[:4]] == ["first", "same", "same", "last without newline"]
    assert [row["line_occurrence"] for row in rows[:4]] == [1, 1, 2, 1]
    assert [row["line_number"] for row in rows[:4]] == [1, 2, 3, 4]
    assert [row["site"] for row in rows] == ["default"] * 5 + ["shop"] * 4
    assert rows[4]["line"].encode("latin-1") == b"gz line \xff"
    assert rows[4]["source_file"] == str(packed.resolve())
    assert [row["ingest_batch_id"] for row in rows] == [1] * 4 + [2] + [3] * 4


def test_bronze_schema_is_not_nullable(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("x\n")
    ingest([log], tmp_path / "warehouse", "raw")
    schema = DeltaTable(str(raw_table_path(tmp_path / "warehouse", "raw"))).schema().to_arrow()
    assert [(field.name, field.nullable) for field in schema] == [
        (field.name, False) for field in RAW_SCHEMA
    ]


def test_empty_file_lands_nothing_and_is_recorded(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    result = ingest([empty], tmp_path / "warehouse", "raw")
    assert result.batch_id is None and result.lines == 0
    assert not raw_table_path(tmp_path / "warehouse", "raw").exists()
    assert [row["status"] for row in ledger(tmp_path / "warehouse")] == ["empty"]


def test_renamed_and_copied_files_add_nothing(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    original = tmp_path / "access.log"
    original.write_text("a\nb\nb\n")
    assert ingest([original], warehouse, "raw").lines == 3
    copy = tmp_path / "copy.log"
    copy.write_bytes(original.read_bytes())
    renamed = tmp_path / "access.log.1"
    original.rename(renamed)
    packed = tmp_path / "access.log.1.gz"
    packed.write_bytes(gzip.compress(renamed.read_bytes()))

    again = ingest([copy, renamed, packed], warehouse, "raw")
    assert (again.lines, again.batches, again.duplicates) == (0, [], 3)
    assert len(bronze(warehouse)) == 3
    statuses = sorted((row["status"], Path(row["source_file"]).name) for row in ledger(warehouse))
    assert statuses == [
        ("duplicate", "access.log.1"),
        ("duplicate", "access.log.1.gz"),
        ("duplicate", "copy.log"),
        ("ingested", "access.log"),
    ]
    # Offered yet again, unchanged files are not even read: the ledger does not grow.
    assert ingest([copy, renamed, packed], warehouse, "raw").duplicates == 0
    assert len(ledger(warehouse)) == 4


def test_a_growing_file_adds_only_its_new_complete_lines(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    live = tmp_path / "access.log"
    live.write_bytes(b"x\ny\nhalf a li")
    first = ingest([live], warehouse, "raw")  # just written: the last line is unfinished
    assert first.lines == 2
    assert "held back" in first.summary() and "9 byte(s)" in first.summary()

    with live.open("ab") as handle:
        handle.write(b"ne\nx\n")
    second = ingest([live], warehouse, "raw")
    assert second.lines == 2
    rows = bronze(warehouse)
    assert [(r["line"], r["line_number"], r["line_occurrence"]) for r in rows] == [
        ("x", 1, 1),
        ("y", 2, 1),
        ("half a line", 3, 1),
        # A repeat of a line from before the append is its second occurrence.
        ("x", 4, 2),
    ]
    # Rotated away and offered under its new name: nothing new.
    live.rename(tmp_path / "access.log.1")
    assert ingest([tmp_path / "access.log.1"], warehouse, "raw").lines == 0


def test_an_unfinished_last_line_lands_once_the_file_settles(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    log = tmp_path / "access.log"
    log.write_bytes(b"a\nno newline at the end")
    assert ingest([log], warehouse, "raw").lines == 1
    old = log.stat().st_mtime - 60
    os.utime(log, (old, old))
    assert ingest([log], warehouse, "raw").lines == 1
    assert [row["line"] for row in bronze(warehouse)] == ["a", "no newline at the end"]


def test_micro_batches_are_bounded_and_land_the_same_rows(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for index in range(5):
        lines = [f"file {index} line {n % 7}" for n in range(300)]
        (logs / f"{index}.log").write_text("\n".join(lines) + "\n")

    one = ingest([logs], tmp_path / "one", "raw")
    small = Limits(max_files=2, max_bytes=1500)
    many = ingest([logs], tmp_path / "many", "raw", limits=small)
    assert len(one.batches) == 1 and len(many.batches) > 10
    assert many.lines == one.lines == 1500

    def without_batch(warehouse: Path) -> list[tuple]:
        return sorted(
            (r["source_file"], r["line_number"], r["line"], r["line_occurrence"])
            for r in bronze(warehouse)
        )

    assert without_batch(tmp_path / "many") == without_batch(tmp_path / "one")
    per_batch = DeltaTable(str(raw_table_path(tmp_path / "many", "raw"))).to_pyarrow_table()
    sizes = per_batch.group_by("ingest_batch_id").aggregate([("source_file", "count_distinct")])
    assert max(sizes.column("source_file_count_distinct").to_pylist()) <= 2


@pytest.mark.parametrize("suffix", [".gz", ".bz2"])
def test_truncated_archive_lands_its_complete_lines_and_says_so(
    tmp_path: Path, suffix: str
) -> None:
    warehouse = tmp_path / "warehouse"
    # bzip2 decompresses in blocks of 900 kB: the damage must leave whole blocks before it.
    total = 20_000 if suffix == ".gz" else 400_000
    content = b"".join(f"line {n}\n".encode() for n in range(total))
    whole = (gzip.compress if suffix == ".gz" else bz2.compress)(content)
    damaged = tmp_path / f"part.log{suffix}"
    damaged.write_bytes(whole[: len(whole) // 2])

    first = ingest([damaged], warehouse, "raw")
    assert 0 < first.lines < total
    assert any(f"part.log{suffix}" in problem for problem in first.problems)
    assert [row["status"] for row in ledger(warehouse)] == ["damaged"]
    landed = [row["line"] for row in bronze(warehouse)]
    assert landed == [f"line {n}" for n in range(len(landed))]

    # The complete archive arrives: only the rest lands.
    (tmp_path / f"full.log{suffix}").write_bytes(whole)
    second = ingest([tmp_path / f"full.log{suffix}"], warehouse, "raw")
    assert first.lines + second.lines == total
    assert [row["line"] for row in bronze(warehouse)] == [f"line {n}" for n in range(total)]


def test_a_file_that_cannot_be_read_is_reported_and_the_others_land(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    (tmp_path / "bogus.log.gz").write_bytes(b"this is not gzip data\n")
    (tmp_path / "good.log").write_text("fine\n")
    result = ingest([tmp_path], warehouse, "raw")
    assert result.lines == 1
    assert any("bogus.log.gz" in problem for problem in result.problems)
    statuses = {Path(row["source_file"]).name: row["status"] for row in ledger(warehouse)}
    assert statuses == {"bogus.log.gz": "unreadable", "good.log": "ingested"}


def unreadable_rows(warehouse: Path) -> list[dict]:
    return [row for row in ledger(warehouse) if row["status"] == "unreadable"]


@pytest.mark.parametrize("name", ["bogus.log.gz", "bogus.log.bz2"])
def test_an_unreadable_archive_is_recorded_once_and_not_held_back(
    tmp_path: Path, name: str
) -> None:
    warehouse = tmp_path / "warehouse"
    bogus = tmp_path / name
    bogus.write_bytes(b"plain text, not an archive\n")
    for _ in range(3):
        result = ingest([bogus], warehouse, "raw", limits=SETTLED)
        assert result.held_back == [] and "held back" not in result.summary()
        assert len(result.problems) == 1
        assert f"{bogus.resolve()}: unreadable, nothing landed: " in result.problems[0]
    assert len(unreadable_rows(warehouse)) == 1

    # Replaced by a real archive (a new size and time): tried again, and it lands.
    compress = gzip.compress if name.endswith(".gz") else bz2.compress
    bogus.write_bytes(compress(b"now a real archive\n"))
    fixed = ingest([bogus], warehouse, "raw", limits=SETTLED)
    assert (fixed.lines, fixed.problems) == (1, [])
    assert len(unreadable_rows(warehouse)) == 1


def test_a_file_without_read_permission_is_recorded_once_and_lands_once_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse"
    locked = tmp_path / "locked.log"
    locked.write_bytes(b"one\ntwo\n")
    locked.chmod(0)
    if os.geteuid() == 0:
        # root reads any file: make opening it fail as it does for everyone else.
        real_stream = pieces.FileStream

        def refuse(path: Path) -> pieces.FileStream:
            if os.stat(path).st_mode & 0o444 == 0:
                raise PermissionError(13, "Permission denied", str(path))
            return real_stream(path)

        monkeypatch.setattr(pieces, "FileStream", refuse)

    for _ in range(3):
        result = ingest([locked], warehouse, "raw", limits=SETTLED)
        assert result.held_back == [] and "held back" not in result.summary()
        assert result.problems == [
            f"{locked.resolve()}: unreadable, nothing landed: "
            f"[Errno 13] Permission denied: '{locked.resolve()}'"
        ]
    assert len(unreadable_rows(warehouse)) == 1

    # Permissions fixed, content and time unchanged: it is tried again and lands.
    locked.chmod(0o644)
    readable = ingest([locked], warehouse, "raw", limits=SETTLED)
    assert (readable.lines, readable.problems, readable.held_back) == (2, [], [])
    assert [row["line"] for row in bronze(warehouse)] == ["one", "two"]
