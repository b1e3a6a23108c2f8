"""The raw layer: every line kept exactly, with its origin, as one batch per call."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from weblogs.ingest import (
    RAW_SCHEMA,
    DamagedFileError,
    decode_lines,
    expand_paths,
    ingest,
    occurrence_numbers,
    raw_table_path,
    split_lines,
)


def bronze(warehouse: Path) -> list[dict]:
    table = DeltaTable(str(raw_table_path(warehouse, "raw"))).to_pyarrow_table()
    return sorted(table.to_pylist(), key=lambda row: (row["ingest_batch_id"], row["line_number"]))


def test_split_lines_keeps_every_line_and_drops_only_line_endings() -> None:
    assert split_lines(b"a\r\nb\n\nc") == [b"a", b"b", b"", b"c"]
    assert split_lines(b"a\n") == [b"a"]
    assert split_lines(b"") == []
    assert split_lines(b"\n") == [b""]
    # A CR inside a line is data, only the one before LF is part of the ending.
    assert split_lines(b"a\rb\r\r\n") == [b"a\rb\r"]


def test_invalid_utf8_lines_are_kept_as_latin1_and_recoverable() -> None:
    raw = [b"ok \xc3\xa9", b"bad \xff\xfe", b"nul \x00 byte"]
    texts, encodings = decode_lines(raw)
    assert encodings == ["utf-8", "latin-1", "utf-8"]
    assert texts[0] == "ok \u00e9"
    assert texts[1].encode("latin-1") == raw[1]
    assert texts[2] == "nul \x00 byte"


def test_occurrence_numbers_count_identical_lines_in_order() -> None:
    lines = pa.array(["x", "y", "x", "z", "x", "y"])
    assert occurrence_numbers(lines).tolist() == [1, 1, 2, 1, 3, 2]
    assert occurrence_numbers(pa.array([], type=pa.string())).tolist() == []


def test_expand_paths_walks_folders_and_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "site" / "2026").mkdir(parents=True)
    (tmp_path / "site" / "2026" / "b.log").write_text("b\n")
    (tmp_path / "site" / "a.log").write_text("a\n")
    (tmp_path / "site" / ".partial").write_text("x\n")
    found = expand_paths([tmp_path / "site"])
    relative = [path.relative_to((tmp_path / "site").resolve()).as_posix() for path in found]
    assert relative == ["2026/b.log", "a.log"]
    with pytest.raises(FileNotFoundError, match="no such file"):
        expand_paths([tmp_path / "missing.log"])


def test_ingest_appends_batches_with_lineage(tmp_path: Path) -> None:
    plain = tmp_path / "access.log"
    plain.write_bytes(b"first\r\nsame\nsame\nlast without newline")
    packed = tmp_path / "older.log.gz"
    packed.write_bytes(gzip.compress(b"gz line \xff\n"))
    warehouse = tmp_path / "warehouse"

    first = ingest([plain], warehouse, "raw")
    second = ingest([plain, packed], warehouse, "raw")

    assert (first.batch_id, first.lines) == (1, 4)
    assert (second.batch_id, second.lines, second.latin1_lines) == (2, 5, 1)
    rows = bronze(warehouse)
    assert [row["line"] for row in rows[:4]] == ["first", "same", "same", "last without newline"]
    assert [row["line_occurrence"] for row in rows[:4]] == [1, 1, 2, 1]
    assert [row["line_number"] for row in rows[:4]] == [1, 2, 3, 4]
    assert {row["source_file"] for row in rows} == {str(plain.resolve()), str(packed.resolve())}
    latin1 = [row for row in rows if row["line_encoding"] == "latin-1"]
    assert [row["line"].encode("latin-1") for row in latin1] == [b"gz line \xff"]
    assert {row["ingest_batch_id"] for row in rows} == {1, 2}


def test_bronze_schema_is_not_nullable(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("x\n")
    ingest([log], tmp_path / "warehouse", "raw")
    schema = DeltaTable(str(raw_table_path(tmp_path / "warehouse", "raw"))).schema().to_arrow()
    assert [(field.name, field.nullable) for field in schema] == [
        (field.name, False) for field in RAW_SCHEMA
    ]


def test_empty_file_writes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    result = ingest([empty], tmp_path / "warehouse", "raw")
    assert result.batch_id is None and result.lines == 0
    assert not raw_table_path(tmp_path / "warehouse", "raw").exists()


@pytest.mark.parametrize("suffix", [".gz", ".bz2"])
def test_truncated_archive_rejects_the_whole_call(tmp_path: Path, suffix: str) -> None:
    """A cut archive is refused by name, and nothing of the call lands (one commit)."""
    import bz2

    compress = gzip.compress if suffix == ".gz" else bz2.compress
    good = tmp_path / "good.log"
    good.write_text("a good line\n")
    whole = compress(b"".join(b"line %d\n" % number for number in range(500)))
    damaged = tmp_path / f"damaged.log{suffix}"
    damaged.write_bytes(whole[: len(whole) // 2])
    warehouse = tmp_path / "warehouse"

    with pytest.raises(DamagedFileError, match=r"damaged\.log.* is damaged or truncated"):
        ingest([good, damaged], warehouse, "raw")
    assert not raw_table_path(warehouse, "raw").exists()

    # Without the damaged file the same call goes through.
    assert ingest([good], warehouse, "raw").lines == 1


def test_not_an_archive_at_all_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "plain-text.log.gz"
    fake.write_text("this was never compressed\n")
    with pytest.raises(DamagedFileError, match=r"plain-text\.log\.gz"):
        ingest([fake], tmp_path / "warehouse", "raw")
