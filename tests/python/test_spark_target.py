"""The same project on Apache Spark with Delta Lake in local mode: dbt build passes with its
data tests, every mart agrees row for row with the embedded engine, the tables are Delta, a
replayed ingest changes nothing, status and compact work, and bronze takes every line exactly
once when ingests are killed. The same on a standalone cluster of two workers is
test_spark_cluster.py.

One server serves every test of the file (`spark_project`, spark_projects.py); the embedded
engine's build of the same logs is made once (`reference`)."""

# The shared fixtures are imported from spark_projects and named again as parameters.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from contract_constraints import (
    NULL_REFUSED,
    NULL_ROW_SQL,
    constraint_properties,
    declared_not_null,
)
from jvm_processes import rss_mib
from spark_projects import (
    LOCAL_MODE,
    MONITORS_WARN,
    NEW_LINE,
    SPARK_TIMEOUT,
    TargetProject,
    check_listening_on_loopback_only,
    check_same_marts,
    logs,  # noqa: F401 (fixtures)
    reference,  # noqa: F401
    server_processes,
    spark_project,  # noqa: F401
)
from test_exactly_once import arrive, check_rows_exactly_once

from conftest import BIN_DIR, Project, copy_of_project
from weblogs.bronze.spark import SparkBronze
from weblogs.ingest.ledger import Ledger
from weblogs.ingest.offers import IngestError, Limits, Offer
from weblogs.ingest.pieces import Piece, file_pieces
from weblogs.spark import jars as spark_jars
from weblogs.spark import server as spark_server

pytestmark = pytest.mark.spark

# Kills of a Spark ingest; each run takes seconds to start, so fewer than on the embedded
# engine. Overridable to run many more outside CI.
KILL_POINTS = int(os.environ.get("WEBLOGS_SPARK_KILL_POINTS", "5"))


@LOCAL_MODE
def test_every_process_listens_on_loopback_only(
    spark_project: TargetProject,
) -> None:
    check_listening_on_loopback_only(spark_project)


@LOCAL_MODE
def test_a_fresh_process_creates_the_raw_layer_and_finds_the_udf(
    spark_project: TargetProject,
) -> None:
    """Before anything landed, one model alone in a new dbt process: the on-run-start hooks
    create bronze and the ledger empty as Delta tables, and register parse_state in the
    session (else staging would not resolve the function)."""
    spark_project.dbt("run", "--select", "stg_apache_logs__lines")
    for table in ("weblogs_raw.access_log_lines", "weblogs_raw.ingest_ledger"):
        assert spark_project.count(table) == 0
        assert spark_project.rows(f"describe detail {table}")[0]["format"] == "delta"
    assert spark_project.count("weblogs.stg_apache_logs__lines") == 0


@LOCAL_MODE
def test_same_marts_as_the_embedded_engine(
    spark_project: TargetProject, reference: TargetProject, logs: list[Path]
) -> None:
    spark_project.weblogs("ingest", *(str(path) for path in logs))
    spark_project.timed_dbt("build", "build")
    check_same_marts(spark_project, reference, logs)
    state = spark_server.status(spark_project.warehouse)
    assert state is not None
    for role, pid in server_processes(state).items():
        print(f"RSS {role}: {rss_mib(pid):.0f} MiB")


@LOCAL_MODE
def test_a_build_with_nothing_new_starts_no_dbt(
    spark_project: TargetProject, logs: list[Path]
) -> None:
    """After the complete build above, the build state holds the source tables' versions on
    the server; `weblogs build` compares them, and the project, without starting dbt."""
    from weblogs.build import state as build_state

    recorded = build_state.built_from(spark_project.warehouse)
    assert recorded is not None
    fingerprint, sources = recorded
    assert fingerprint
    bronze = "weblogs_raw.access_log_lines"
    history = spark_project.rows(f"describe history {bronze} limit 1")
    assert sources[bronze] == history[0]["version"]

    # A replayed ingest commits nothing, so a build with the same vars has nothing to read.
    spark_project.weblogs("ingest", *(str(path) for path in logs))
    result = spark_project.weblogs("build", "--vars", MONITORS_WARN)
    assert result.stdout.strip().startswith("nothing new: the models are built through batch")
    assert "Running with dbt" not in result.stdout + result.stderr


@LOCAL_MODE
def test_replay_changes_nothing_and_a_merge_skips_stored_requests(
    spark_project: TargetProject, logs: list[Path], tmp_path: Path
) -> None:
    files = [str(path) for path in logs]
    lines = spark_project.count("weblogs_raw.access_log_lines")
    again = spark_project.weblogs("ingest", *files)
    assert "nothing new to ingest" in again.stdout
    assert spark_project.count("weblogs_raw.access_log_lines") == lines

    # A later file that repeats 200 merged lines (an overlapping rotated log) adds only its
    # one new request: the merge inserts the keys not stored, rewriting none of the others
    # (with no stored row to update, it is one Delta write rather than a MERGE).
    overlap = tmp_path / "access.log.overlap"
    overlap.write_bytes(b"".join(logs[-1].read_bytes().splitlines(keepends=True)[:200]) + NEW_LINE)
    merged = "weblogs.int_access_requests_deduplicated"
    quarantine = "weblogs.access_log_quarantine"
    before = {name: spark_project.count(name) for name in (merged, quarantine)}
    spark_project.weblogs("ingest", str(overlap))
    # Only the models this checks: the marts' rebuild would prove nothing more here.
    spark_project.dbt(
        "run", "--select", "stg_apache_logs__lines", "int_access_requests_deduplicated",
        "access_log_quarantine",
    )  # fmt: skip
    assert spark_project.count(merged) == before[merged] + 1
    assert spark_project.count(quarantine) == before[quarantine]
    added = spark_project.rows(f"select client_host from {merged} where endpoint = '/overlap.gif'")
    assert added == [{"client_host": "10.0.0.9"}]
    history = "describe history weblogs.int_access_requests_deduplicated limit 1"
    merge = spark_project.rows(history)[0]
    assert merge["operation"] == "WRITE"
    assert merge["operationMetrics"]["numOutputRows"] == "1"


@LOCAL_MODE
def test_an_increment_reads_the_batches_after_the_build_state_marks(
    spark_project: TargetProject, tmp_path: Path
) -> None:
    """On Spark as on the embedded engine, dbt reads the warehouse's build state: after the
    complete build above, network_filter takes in only the batches after its mark (one
    INSERT of their new requests, not a MERGE of every request again), and its data tests
    read only the rows from the oldest new date on."""
    later = tmp_path / "access.log.later"
    later.write_bytes(
        b'10.0.0.8 - - [01/Aug/1995:00:00:02 -0400] "GET /later.gif HTTP/1.0" 200 2000\n'
    )
    spark_project.weblogs("ingest", str(later))
    before = spark_project.count("weblogs.network_filter")
    spark_project.dbt(
        "build", "--select", "stg_apache_logs__lines", "int_access_requests_deduplicated",
        "int_access_requests_enriched", "network_filter", "--indirect-selection", "cautious",
        "--vars", MONITORS_WARN,
    )  # fmt: skip
    # The one request of the overlapping file of the test before, and this one.
    assert spark_project.count("weblogs.network_filter") == before + 2
    write = spark_project.rows("describe history weblogs.network_filter limit 1")[0]
    assert write["operation"] == "WRITE", write["operation"]
    assert write["operationMetrics"]["numOutputRows"] == "2"
    compiled = next(
        (spark_project.workdir / "target" / "run").rglob("network_filter_row_checks.sql")
    )
    assert "event_date >= coalesce((select min(event_date)" in compiled.read_text(), compiled


@LOCAL_MODE
def test_contract_not_nulls_are_constraints_spark_enforces(spark_project: TargetProject) -> None:
    """After the build above: each contract's not-null column is a Delta CHECK constraint
    (no not_null data test reads it: Delta checks every write); a table model built again
    keeps one of each, written by the one statement that replaces the table (no commit
    adds them afterwards), and Spark refuses a null, leaving the table as it was."""
    table = "weblogs.requests_by_status"
    version = spark_project.rows(f"describe history {table} limit 1")[0]["version"]
    spark_project.dbt("run", "--select", "requests_by_status")
    commits = spark_project.rows(f"describe history {table}")
    assert [row["operation"] for row in commits if row["version"] > version] == [
        "CREATE OR REPLACE TABLE AS SELECT"
    ]
    for model, columns in declared_not_null().items():
        held = {row["key"] for row in spark_project.rows(f"show tblproperties weblogs.{model}")}
        assert {key for key in held if key.startswith("delta.constr")} == constraint_properties(
            columns
        ), model
    before = spark_project.table("weblogs.requests_by_status")
    with pytest.raises(Exception, match=NULL_REFUSED):
        spark_project.spark.sql(NULL_ROW_SQL).collect()
    assert spark_project.table("weblogs.requests_by_status") == before


@LOCAL_MODE
def test_a_merge_computes_its_incoming_rows_once(spark_project: TargetProject) -> None:
    """After the increments above: traffic_by_window recomputes the windows of the new
    lines and those not final yet, so its merge updates stored windows. The MERGE and the
    probe for stored rows read the model's query from one computation Spark holds in memory
    (CACHE TABLE) and releases after the model, not from a table staged for it; the windows
    still add up to the requests."""
    spark_project.dbt(
        "build", "--select", "traffic_by_window", "--indirect-selection", "cautious",
        "--vars", MONITORS_WARN,
    )  # fmt: skip
    log = spark_project.dbt_log()
    run = log[log.rindex("Running with dbt") :]
    assert "cache table traffic_by_window__dbt_tmp" in run
    assert "uncache table if exists traffic_by_window__dbt_tmp" in run
    assert "traffic_by_window__dbt_merge_source" not in run
    merge = spark_project.rows("describe history weblogs.traffic_by_window limit 1")[0]
    assert merge["operation"] == "MERGE", merge["operation"]
    assert int(merge["operationMetrics"]["numTargetRowsUpdated"]) >= 1
    totals = spark_project.rows(
        "select (select sum(request_count) from weblogs.traffic_by_window) as windowed,"
        " (select count(*) from weblogs.int_access_requests_deduplicated) as requests"
    )[0]
    assert totals["windowed"] == totals["requests"], totals
    tables = spark_project.rows("show tables in weblogs")
    assert not [row for row in tables if "merge_source" in row["tableName"]], tables


@LOCAL_MODE
def test_status_and_compact(spark_project: TargetProject) -> None:
    status = spark_project.weblogs("status").stdout
    batch = spark_project.rows("select max(ingest_batch_id) as b from weblogs_raw.access_log_lines")
    assert re.search(rf"^last batch +{batch[0]['b']} at ", status, re.MULTILINE), status
    rows = spark_project.count("weblogs.network_filter")
    assert re.search(rf"^network_filter +{rows:,} rows$", status, re.MULTILINE), status

    # Bronze alone, which its batches left in several files: one table proves the command
    # (each OPTIMIZE and VACUUM costs Spark tens of seconds on two cores).
    bronze = "weblogs_raw.access_log_lines"
    before = spark_project.rows(f"describe detail {bronze}")[0]
    lines = spark_project.count(bronze)
    started = time.monotonic()
    compacted = spark_project.weblogs("compact", bronze, "--retain-hours", "0").stdout
    print(f"compact of {bronze}: {time.monotonic() - started:.1f} s\n{compacted}")
    assert re.search(
        rf"^{re.escape(bronze)}: {lines:,} rows; files in the current version "
        rf"{before['numFiles']} -> 1; data files on disk \d+ -> 1$",
        compacted,
        re.MULTILINE,
    ), compacted
    operations = [
        row["operation"] for row in spark_project.rows(f"describe history {bronze} limit 3")
    ]
    # OPTIMIZE commits only where there was more than one file to compact.
    optimized = ["OPTIMIZE"] if int(before["numFiles"]) > 1 else []
    assert operations[: 2 + len(optimized)] == ["VACUUM END", "VACUUM START", *optimized]
    assert spark_project.count(bronze) == lines


def test_dbt_without_a_server_fails_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    project = TargetProject(
        warehouse=tmp_path / "warehouse",
        workdir=tmp_path / "work",
        target="spark",
        spark_port=spark_server.free_port(),
    )
    result = project.dbt("run", "--select", "network_filter", check=False)
    assert result.returncode != 0
    assert "no Spark Connect server at sc://127.0.0.1:" in result.stdout
    assert "weblogs spark-server start" in result.stdout


def test_jars_neither_fetched_nor_cached_is_one_line(tmp_path: Path, monkeypatch) -> None:
    """No way to Maven (an Ivy resolver that reaches nothing) and an empty jar cache."""
    settings = tmp_path / "ivysettings.xml"
    settings.write_text(
        '<ivysettings><settings defaultResolver="nowhere"/><resolvers>'
        f'<ibiblio name="nowhere" m2compatible="true" root="file://{tmp_path}/no-repo/"/>'
        "</resolvers></ivysettings>"
    )
    monkeypatch.setenv(spark_jars.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "work").mkdir()
    project = Project(warehouse=tmp_path / "warehouse", workdir=tmp_path / "work")
    result = project.weblogs(
        "spark-server", "start", "--port", "0", "--conf", f"spark.jars.ivySettings={settings}",
        check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        f"weblogs: the Delta Lake jars ({spark_jars.DELTA_PACKAGE}) could not be fetched: "
    ), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert spark_server.status(project.warehouse) is None


def spark_ingest(project: TargetProject, raw_schema: str, *paths: Path) -> list[str]:
    return [
        str(BIN_DIR / "weblogs"), "--warehouse", str(project.warehouse), "--target", "spark",
        "--raw-schema", raw_schema, "ingest", *(str(path) for path in paths),
        # Small batches: a run makes many commits, so kills fall between and inside them.
        "--max-bytes-per-batch", "24k", "--settle-seconds", "0",
    ]  # fmt: skip


def start_ingest(project: TargetProject, command: list[str]) -> subprocess.Popen:
    """An ingest to be killed: its stderr kept (it may say to run it again)."""
    return subprocess.Popen(
        command, env=project.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def committed_batch(project: TargetProject, raw_schema: str) -> int:
    return SparkBronze(project.spark, raw_schema, create=False).committed_batch_id()


def bronze_rows(project: TargetProject, raw_schema: str):  # a pyarrow Table
    table = project.spark.table(f"{raw_schema}.access_log_lines")
    return table.select("source_file", "line_number", "line").toArrow()


@LOCAL_MODE
def test_ingest_survives_sigkill(spark_project: TargetProject, tmp_path: Path) -> None:
    """`weblogs ingest` on Spark killed at random instants while files arrive, grow and are
    copied, and once just after a commit: afterwards every line of every file is in bronze
    exactly once. A write the server finishes after its client was killed may take the batch
    id the next ingest planned: that ingest then stops and says to run it again, which the
    next round does."""
    landing = tmp_path / "landing"
    landing.mkdir()
    command = spark_ingest(spark_project, "kill_raw", landing)
    rng = random.Random(20261127)
    killed_mid_run = killed_after_a_commit = stopped_by_a_late_write = 0
    for round_number in range(KILL_POINTS):
        arrive(landing, round_number, rng)
        before = committed_batch(spark_project, "kill_raw")
        process = start_ingest(spark_project, command)
        # Within a round's run: on 2 cores one takes about 4 s (the first, which creates the
        # table, about 8); an instant past its end would find it done and kill nothing.
        kill_at = time.monotonic() + rng.uniform(1, 4.5)
        while process.poll() is None and time.monotonic() < kill_at:
            time.sleep(0.05)
        killed = process.poll() is None
        if killed:
            process.send_signal(signal.SIGKILL)
            killed_mid_run += 1
        stopped_by_a_late_write += "run it again" in process.communicate()[1]
        killed_after_a_commit += killed and committed_batch(spark_project, "kill_raw") > before
    # Random instants may all fall before a run's first commit on a slow machine; this round
    # lands many batches and is killed as soon as one of them is committed.
    large = (f"large {n} {rng.random():.6f}\n" for n in range(12_000))
    (landing / "large.log").write_text("".join(large))
    before = committed_batch(spark_project, "kill_raw")
    process = start_ingest(spark_project, command)
    deadline = time.monotonic() + SPARK_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        if committed_batch(spark_project, "kill_raw") > before:
            process.send_signal(signal.SIGKILL)
            killed_after_a_commit += process.wait() == -signal.SIGKILL
            break
        time.sleep(0.2)
    if process.poll() is None:  # neither committed nor ended: fail, rather than wait on it
        process.kill()
        process.wait()
        pytest.fail(f"the ingest of large.log committed nothing in {SPARK_TIMEOUT} s")
    stopped_by_a_late_write += "run it again" in process.communicate()[1]
    for _ in range(3):
        finished = subprocess.run(command, env=spark_project.env(), capture_output=True, text=True)
        if "run it again" not in finished.stderr:
            break
        stopped_by_a_late_write += 1
    assert finished.returncode == 0, finished.stderr
    assert "problem" not in finished.stdout
    landed = check_rows_exactly_once(bronze_rows(spark_project, "kill_raw"), landing)
    print(
        f"{KILL_POINTS} random kill points: {killed_mid_run} mid-run; "
        f"{killed_after_a_commit} kill(s) after a commit, "
        f"{stopped_by_a_late_write} ingest(s) stopped by a late write; "
        f"{landed:,} lines exactly once"
    )
    assert killed_mid_run >= KILL_POINTS // 2, killed_mid_run
    assert killed_after_a_commit >= 1, "the run ended before a kill fell after its commit"


@LOCAL_MODE
def test_crash_between_bronze_commit_and_ledger_is_repaired(
    spark_project: TargetProject, tmp_path: Path
) -> None:
    (tmp_path / "a.log").write_text("one\ntwo\n")
    crashed = subprocess.run(
        spark_ingest(spark_project, "crash_raw", tmp_path / "a.log"),
        env={**spark_project.env(), "WEBLOGS_FAULT": "after-bronze-commit"},
        capture_output=True,
    )
    assert crashed.returncode == -signal.SIGKILL
    # The data landed, the ledger copy did not.
    assert spark_project.count("crash_raw.access_log_lines") == 2
    assert spark_project.count("crash_raw.ingest_ledger") == 0

    (tmp_path / "b.log").write_text("three\n")
    subprocess.run(
        spark_ingest(spark_project, "crash_raw", tmp_path / "a.log", tmp_path / "b.log"),
        env=spark_project.env(), check=True, capture_output=True,
    )  # fmt: skip
    assert check_rows_exactly_once(bronze_rows(spark_project, "crash_raw"), tmp_path) == 3
    pieces = spark_project.rows("select batch_id, line_count from crash_raw.ingest_ledger")
    assert sorted((row["batch_id"], row["line_count"]) for row in pieces) == [(1, 2), (2, 1)]


@LOCAL_MODE
def test_a_replayed_batch_commits_nothing(spark_project: TargetProject, tmp_path: Path) -> None:
    """The same micro-batch written twice (a write the server finished after its client
    died, then the client's rerun): Delta's application transaction commits it once, and
    the second writer is told."""
    log = tmp_path / "a.log"
    log.write_text("one\ntwo\nthree\n")
    pieces = [
        item
        for item in file_pieces(Offer(log), Ledger(), Limits(settle_seconds=0))
        if isinstance(item, Piece)
    ]
    bronze = SparkBronze(spark_project.spark, "replay_raw")
    bronze.land(pieces, 1)
    with pytest.raises(IngestError, match="batch 1 was committed meanwhile"):
        bronze.land(pieces, 1)
    assert spark_project.count("replay_raw.access_log_lines") == 3
    assert spark_project.count("replay_raw.ingest_ledger") == 1
    history = spark_project.rows("describe history replay_raw.access_log_lines")
    writes = [commit for commit in history if commit["operation"] == "WRITE"]
    assert len(writes) == 1


@LOCAL_MODE
def test_an_unchanged_seed_stays_and_a_changed_one_reaches_the_stored_rows(
    spark_project: TargetProject, tmp_path: Path
) -> None:
    """After the builds above: `dbt seed` leaves the unchanged seed's table as it is (the
    same table, no new Delta version, so a reader never finds it dropped or empty); a
    changed description is loaded and reaches the requests stored before it."""

    def seed_table() -> tuple[str, int]:
        detail = spark_project.rows("describe detail weblogs.http_status_codes")[0]
        history = spark_project.rows("describe history weblogs.http_status_codes limit 1")
        return detail["id"], history[0]["version"]

    before = seed_table()
    spark_project.dbt("seed")
    assert seed_table() == before

    changed = dataclasses.replace(
        spark_project, project_dir=copy_of_project(tmp_path / "project"), _spark=None
    )
    seed = changed.project_dir / "seeds" / "http_status_codes.csv"
    seed.write_text(seed.read_text().replace("\n200,OK,", "\n200,OK (renamed),", 1))
    changed.dbt("build", "--select", "http_status_codes+", "--vars", MONITORS_WARN)
    assert seed_table()[1] == before[1] + 1
    described = spark_project.rows(
        "select status_description, count(*) as n from weblogs.network_filter"
        " group by status_description"
    )
    assert described == [
        {"status_description": "OK (renamed)", "n": spark_project.count("weblogs.network_filter")}
    ]
