"""Ingest on Apache Spark reads in the engine: the client plans chunks of the new bytes
(weblogs.bronze.chunks), Spark's executors read them and build the rows, which equal the
embedded engine's row for row; an executor that cannot read a chunk as planned fails the
batch in one line, and nothing of it commits.

The planning is checked without Spark; the rest runs on one local-mode server for the file
(the fixture in spark_projects.py). Exactly once under SIGKILL is test_spark_target's kill test,
which runs `weblogs ingest`, so this path."""

from __future__ import annotations

import gzip
import subprocess
import zlib
from pathlib import Path

import pytest
from spark_projects import LOCAL_MODE, TargetProject, spark_project  # noqa: F401 (the server fixture)

from conftest import BIN_DIR, SHARED_LOG
from weblogs.bronze.base import RAW_TABLE
from weblogs.bronze.chunks import (
    ChunkedPiece,
    batch_plan,
    chunk_cuts,
    chunk_rows,
    path_map,
    piece_chunks,
)
from weblogs.bronze.delta import DeltaBronze
from weblogs.bronze.spark import CLIENT, FILES_AT_ENV, READS_ENV, SparkBronze
from weblogs.ingest.ledger import LEDGER_TABLE, Ledger
from weblogs.ingest.micro_batches import ingest
from weblogs.ingest.offers import IngestError, Limits, Offer
from weblogs.ingest.pieces import Piece, file_pieces

# Small enough that a file is several chunks, pieces and batches; each Spark batch takes
# seconds, so a few of them.
CHUNK_BYTES = 4_096
LIMITS = Limits(max_bytes=100_000, settle_seconds=0)
LEDGER_COLUMNS = (
    "batch_id", "site", "source_file", "status", "head_sha256", "content_sha256",
    "start_offset", "end_offset", "line_count", "lines_before", "pending_bytes",
)  # fmt: skip


def write_logs(folder: Path) -> list[Path]:
    """Files that hold every case a line can be: text that is not UTF-8, CR LF endings,
    lines repeated near and far (in other chunks and pieces), empty lines, a line longer
    than a chunk, a last line without a newline, an archive, a damaged archive and a copy."""
    folder.mkdir(parents=True, exist_ok=True)
    if SHARED_LOG.is_file():
        real = SHARED_LOG.read_bytes().splitlines(keepends=True)[:600]
    else:
        real = [f"10.0.0.{n % 7} - - [01/Aug/1995:00:00:{n % 60:02d} -0400] x\n".encode()
                for n in range(600)]  # fmt: skip
    (folder / "real.log").write_bytes(b"".join(real + real[:40]))
    mixed = [
        b"GET /a\n",
        b"caf\xe9 latin-1\r\n",
        b"GET /a\n",
        b"\n",
        b"\n",
        b"r\xc3\xa9sum\xc3\xa9\n",
    ]
    mixed += [f"line {n}\n".encode() for n in range(3_000)] + [b"GET /a\r\n", b"GET /a\n"]
    mixed += [b"x" * (3 * CHUNK_BYTES) + b"\n", b"caf\xe9 latin-1\r\n", b"last, unended"]
    (folder / "mixed.log").write_bytes(b"".join(mixed))
    rotated = b"".join(f"rotated {n % 300}\n".encode() for n in range(3_000))
    (folder / "rotated.log.gz").write_bytes(gzip.compress(rotated))
    damaged = gzip.compress(b"".join(f"damaged {n}\n".encode() for n in range(6_000)))
    (folder / "damaged.log.gz").write_bytes(damaged[: len(damaged) * 2 // 3])
    (folder / "copy.log").write_bytes((folder / "mixed.log").read_bytes())
    return sorted(folder.iterdir())


def planned(path: Path, limits: Limits = LIMITS) -> list[Piece]:
    return [item for item in file_pieces(Offer(path), Ledger(), limits) if isinstance(item, Piece)]


def test_chunks_end_at_line_ends_and_carry_only_the_repeated_lines(tmp_path: Path) -> None:
    logs = {path.name: path for path in write_logs(tmp_path / "logs")}
    # All but the unended last line, which is a piece of its own.
    piece, last = planned(logs["mixed.log"], Limits(max_bytes=10**6, settle_seconds=0))
    assert last.texts.to_pylist() == ["last, unended"]
    kept = piece_chunks(piece, CHUNK_BYTES)
    assert isinstance(kept, ChunkedPiece) and not hasattr(kept, "texts")  # a plan, no lines
    chunks = kept.chunks.to_pylist()
    content = bytes(piece.content)
    assert len(chunks) > 5
    assert all(len(chunk["segment_ends"]) == 1 for chunk in chunks)  # a plain file's
    ends = [chunk["segment_ends"][0] for chunk in chunks]
    lines = [chunk["segment_lines"][0] for chunk in chunks]
    assert chunks[0]["start_offset"] == 0 and ends[-1] == len(content)
    for index, after in enumerate(chunks[1:]):
        end = ends[index]
        assert end == after["start_offset"] and content[end - 1 : end] == b"\n"
        assert after["first_line_number"] == chunks[index]["first_line_number"] + lines[index]
    # The line longer than a chunk is whole in one chunk.
    assert any(
        end - chunk["start_offset"] > 3 * CHUNK_BYTES
        for chunk, end in zip(chunks, ends, strict=True)
    )
    assert sum(lines) == len(piece.texts)
    repeats = {
        chunk["first_line_number"] + index: occurrence
        for chunk in chunks
        for index, occurrence in zip(
            chunk["repeated_lines"], chunk["repeated_occurrences"], strict=True
        )
    }
    expected = {n + 1: int(o) for n, o in enumerate(piece.occurrences) if o != 1}
    assert repeats == expected and len(expected) == 5  # GET /a 2-4, "" 2, latin-1 2
    assert [chunk["segment_crc32"][0] for chunk in chunks] == [
        zlib.crc32(content[chunk["start_offset"] : end])
        for chunk, end in zip(chunks, ends, strict=True)
    ]

    # An executor's rows of one chunk: the lines the client split, at their numbers.
    chunk = {**chunks[0], "ingest_batch_id": 7, "ingested_at": kept.entry.recorded_at}
    (rows,) = [batch.to_pylist() for batch in chunk_rows(chunk)]
    assert [row["line"] for row in rows] == piece.texts.to_pylist()[: len(rows)]
    assert [row["line_occurrence"] for row in rows[:6]] == [1, 1, 2, 1, 2, 1]
    assert [row["line_encoding"] for row in rows[:2]] == ["utf-8", "latin-1"]


def test_an_archive_is_read_in_one_pass_per_batch(tmp_path: Path) -> None:
    """Each piece of an archive is one chunk, and a batch's successive pieces of it are one
    chunk of segments: an executor decompresses it once, not once per chunk."""
    logs = {path.name: path for path in write_logs(tmp_path / "logs")}
    pieces = planned(logs["rotated.log.gz"], Limits(max_bytes=10_000, settle_seconds=0))
    kept = [piece_chunks(piece, CHUNK_BYTES) for piece in pieces]
    assert len(kept) > 3 and all(piece.chunks.num_rows == 1 for piece in kept)
    plan = batch_plan(kept, 1, kept[0].entry.recorded_at).to_pylist()
    assert len(plan) == 1
    (chunk,) = plan
    assert chunk["segment_ends"] == [piece.entry.end_offset for piece in pieces]
    rows = [row for batch in chunk_rows(chunk) for row in batch.to_pylist()]
    assert [row["line"] for row in rows] == [t for p in pieces for t in p.texts.to_pylist()]
    assert [row["line_occurrence"] for row in rows] == [
        int(o) for piece in pieces for o in piece.occurrences
    ]
    assert rows[-1]["line_number"] == 3_000 and rows[-1]["line_occurrence"] == 10


def test_cuts_fall_after_newlines_and_never_split_a_line() -> None:
    content = memoryview(b"aaaa\nbb\n" + b"c" * 50 + b"\nd\n")
    assert chunk_cuts(content, 6) == [5, 8, 59, 61]
    assert chunk_cuts(content, 1_000) == [len(content)]
    assert chunk_cuts(memoryview(b"no newline at all"), 4) == [17]


def test_executors_find_files_where_a_path_map_says() -> None:
    read_from = path_map("/data/logs=s3://bucket/logs, /data=/mnt/data/")
    assert read_from("/data/logs/a.log") == "s3://bucket/logs/a.log"
    assert read_from("/data/logs2/a.log") == "/mnt/data/logs2/a.log"
    assert read_from("/elsewhere/a.log") == "/elsewhere/a.log"
    with pytest.raises(ValueError, match="is not PREFIX=LOCATION"):
        path_map("/data/logs")


def delta_rows(path: Path, columns) -> list[tuple]:
    from deltalake import DeltaTable

    table = DeltaTable(str(path)).to_pyarrow_table(columns=list(columns))
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=repr)


def spark_rows(project: TargetProject, schema: str, table: str, columns) -> list[tuple]:
    frame = project.spark.table(f"{schema}.{table}").select(*columns)
    return sorted((tuple(row) for row in frame.collect()), key=repr)


@pytest.mark.spark
@LOCAL_MODE
def test_rows_are_the_embedded_engines(
    spark_project: TargetProject,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    """The same files, landed twice (a file grows in between): the same rows, line for line
    and column for column (but the time of the ingest), the same batches and ledger."""
    logs = write_logs(tmp_path / "logs")
    embedded = DeltaBronze(tmp_path / "embedded", "weblogs_raw")
    on_spark = SparkBronze(spark_project.spark, "planned_raw", chunk_bytes=CHUNK_BYTES)
    summaries = []
    for round_number in range(2):
        if round_number:  # the live log grew, repeating lines it holds
            with (tmp_path / "logs" / "real.log").open("ab") as grown:
                grown.write(b"".join(SHARED_LOG.read_bytes().splitlines(True)[:30]) * 2
                            if SHARED_LOG.is_file() else b"grown\n" * 60)  # fmt: skip
        summaries.append([
            ingest(logs, warehouse, schema, limits=LIMITS, bronze=bronze).summary()
            for warehouse, schema, bronze in (
                (tmp_path / "embedded", "weblogs_raw", embedded),
                (tmp_path / "spark-locks", "planned_raw", on_spark),
            )
        ])  # fmt: skip
    for embedded_summary, spark_summary in summaries:
        assert embedded_summary == spark_summary
    assert "latin-1" in summaries[0][0] and "already ingested" in summaries[0][0]

    columns = [
        "source_file", "line_number", "line", "line_encoding", "line_occurrence",
        "ingest_batch_id", "site",
    ]  # fmt: skip
    expected = delta_rows(tmp_path / "embedded" / "weblogs_raw" / RAW_TABLE, columns)
    got = spark_rows(spark_project, "planned_raw", RAW_TABLE, columns)
    assert got == expected
    assert len(got) > 10_000 and len({row[5] for row in got}) >= 3  # several batches
    assert {row[3] for row in got} == {"utf-8", "latin-1"}
    assert max(row[4] for row in got) > 2

    # One ingest time per batch, as the embedded engine stamps it.
    times = spark_project.rows(
        "select ingest_batch_id, count(distinct ingested_at) as times "
        "from planned_raw.access_log_lines group by ingest_batch_id"
    )
    assert {row["times"] for row in times} == {1}

    expected_ledger = delta_rows(
        tmp_path / "embedded" / "weblogs_raw" / LEDGER_TABLE, LEDGER_COLUMNS
    )
    assert spark_rows(spark_project, "planned_raw", LEDGER_TABLE, LEDGER_COLUMNS) == expected_ledger
    assert {row[3] for row in expected_ledger} >= {"ingested", "damaged", "duplicate"}


@pytest.mark.spark
@LOCAL_MODE
def test_a_file_changed_after_planning_fails_the_batch_in_one_line(
    spark_project: TargetProject,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Removed, truncated or rewritten between planning and reading: the executor's error
    names the file in one line, and nothing of the batch commits."""
    bronze = SparkBronze(spark_project.spark, "changed_raw", chunk_bytes=CHUNK_BYTES)
    cases = {
        "removed": (lambda path: path.unlink(), "FileNotFoundError"),
        "truncated": (lambda path: path.write_bytes(path.read_bytes()[:-100]), "truncated since"),
        "rewritten": (
            lambda path: path.write_bytes(path.read_bytes().replace(b"line 7", b"LINE 7")),
            "not the ones planned",
        ),
    }
    for name, (change, reason) in cases.items():
        log = tmp_path / f"{name}.log"
        log.write_bytes(b"".join(f"line {n}\n".encode() for n in range(2_000)))
        pieces = [bronze.keep(piece) for piece in planned(log)]
        change(log)
        with pytest.raises(IngestError) as raised:
            bronze.land(pieces, 1)
        message = str(raised.value)
        assert "\n" not in message, message
        assert message.startswith(f"a Spark executor could not read {log}: "), message
        assert reason in message and "nothing of batch 1 was committed" in message, message
    assert spark_project.count(f"changed_raw.{RAW_TABLE}") == 0
    assert spark_project.count(f"changed_raw.{LEDGER_TABLE}") == 0


@pytest.mark.spark
@LOCAL_MODE
def test_where_executors_read_is_the_users_to_say(
    spark_project: TargetProject,  # noqa: F811
    tmp_path: Path,
) -> None:
    """`weblogs ingest` as a user runs it: executors that do not find the file at the
    mapped place end it in one line; mapped to a URL where the file is, or read by the
    client when asked, it lands, under the path the user named."""
    logs, mirror = tmp_path / "logs", tmp_path / "mirror"
    logs.mkdir()
    mirror.mkdir()
    for name in ("a.log", "b.log", "c.log"):
        text = b"".join(f"{name} {n}\n".encode() for n in range(500))
        (logs / name).write_bytes(text)
        (mirror / name).write_bytes(text)

    def weblogs_ingest(name: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN_DIR / "weblogs"), "--target", "spark", "--raw-schema", "mapped_raw",
             "ingest", str(logs / name)],
            env={**spark_project.env(), **env}, capture_output=True, text=True,
            timeout=spark_project.timeout,
        )  # fmt: skip

    nowhere = weblogs_ingest("a.log", **{FILES_AT_ENV: f"{logs}={tmp_path / 'missing'}"})
    assert nowhere.returncode == 2, nowhere.stderr
    lines = nowhere.stderr.strip().splitlines()
    assert len(lines) == 1, nowhere.stderr
    assert lines[0].startswith(
        f"weblogs: a Spark executor could not read {tmp_path / 'missing' / 'a.log'}: "
        "FileNotFoundError"
    ), lines[0]

    url = weblogs_ingest("a.log", **{FILES_AT_ENV: f"{logs}=file://{mirror}"})
    assert url.returncode == 0, url.stderr
    client = weblogs_ingest("b.log", **{READS_ENV: CLIENT})
    assert client.returncode == 0, client.stderr
    landed = spark_project.rows(
        "select source_file, count(*) as n, min(line_number) as first, max(line_number) as last "
        "from mapped_raw.access_log_lines group by source_file order by source_file"
    )
    assert landed == [
        {"source_file": str(logs / name), "n": 500, "first": 1, "last": 500}
        for name in ("a.log", "b.log")
    ]
