"""Exactly-once ingestion under crashes: `weblogs ingest` killed with SIGKILL again and
again, at random instants and just after a commit, while files arrive, grow and are copied;
afterwards every line of every file is in bronze exactly once."""

from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pytest
from deltalake import DeltaTable

from conftest import BIN_DIR
from weblogs.bronze.delta import committed_batch_id, ledger_table_path, raw_table_path

# Overridable to run many more kill points outside CI.
KILL_POINTS = int(os.environ.get("WEBLOGS_INGEST_KILL_POINTS", "40"))
# A guard only: how long an ingest may take to commit a batch before the test gives up.
COMMIT_WITHIN_SECONDS = 300


def ingest_command(warehouse: Path, landing: Path) -> list[str]:
    return [
        str(BIN_DIR / "weblogs"), "--warehouse", str(warehouse), "ingest", str(landing),
        # Small batches: a run makes many commits, so kills fall between and inside them.
        "--max-bytes-per-batch", "24k", "--settle-seconds", "0",
    ]  # fmt: skip


def lines_of(path: Path) -> list[str]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8").splitlines()


def arrive(landing: Path, round_number: int, rng: random.Random) -> None:
    """New files, a growing live log, and copies of earlier files (same content)."""
    count = rng.randint(1, 900)
    lines = [f"round {round_number} line {n} {rng.random():.6f}" for n in range(count)]
    if round_number % 3 == 0:
        (landing / f"rotated-{round_number}.log.gz").write_bytes(
            gzip.compress(("\n".join(lines) + "\n").encode())
        )
    else:
        (landing / f"rotated-{round_number}.log").write_text("\n".join(lines) + "\n")
    with (landing / "live.log").open("a") as live:
        live.writelines(f"live {round_number} {n}\n" for n in range(rng.randint(0, 400)))
    if round_number > 2 and round_number % 2:
        original = landing / f"rotated-{round_number - 2}.log"
        if original.exists():
            (landing / f"copy-of-rotated-{round_number - 2}.log").write_bytes(original.read_bytes())


def check_exactly_once(warehouse: Path, landing: Path) -> int:
    rows = DeltaTable(str(raw_table_path(warehouse, "weblogs_raw"))).to_pyarrow_table(
        columns=["source_file", "line_number", "line"]
    )
    return check_rows_exactly_once(rows, landing)


def check_rows_exactly_once(rows, landing: Path) -> int:  # rows: a pyarrow Table
    """Each file's lines are in bronze once; a copy and its original share one set of
    line numbers (whichever was read first lands a line, the other continues after it)."""
    landed: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for source, number, line in zip(*(rows.column(i).to_pylist() for i in range(3)), strict=True):
        name = Path(source).name.removeprefix("copy-of-")
        landed[name][number].append(line)
    expected = {
        path.name: lines_of(path) for path in landing.iterdir() if not path.name.startswith("copy")
    }
    assert set(landed) == set(expected)
    for name, lines in expected.items():
        got = landed[name]
        assert sorted(got) == list(range(1, len(lines) + 1)), f"{name}: lines lost"
        assert all(len(copies) == 1 for copies in got.values()), f"{name}: duplicated lines"
        assert [got[n][0] for n in range(1, len(lines) + 1)] == lines, f"{name}: wrong text"
    return rows.num_rows


def kill_after_a_commit(process: subprocess.Popen, bronze: Path, before: int) -> bool:
    """SIGKILL the ingest as soon as bronze holds a batch after `before`; False if it ended
    first (or committed nothing within the guard: then it fails the test)."""
    deadline = time.monotonic() + COMMIT_WITHIN_SECONDS
    while process.poll() is None:
        if committed_batch_id(bronze) > before:
            process.send_signal(signal.SIGKILL)
            return process.wait() == -signal.SIGKILL
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"the ingest committed nothing in {COMMIT_WITHIN_SECONDS} s")
        time.sleep(0.02)
    return False


@pytest.mark.e2e
def test_ingest_survives_sigkill_at_random_points_and_after_commits(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    landing.mkdir()
    bronze = raw_table_path(warehouse, "weblogs_raw")
    rng = random.Random(20261126)
    killed_mid_run = killed_after_a_commit = 0
    # Seconds from start to the first commit, as the rounds killed after one measured it: a
    # random instant falls within that (most of a run on a busy machine is its start-up).
    first_commit_seconds = [1.0]
    for round_number in range(KILL_POINTS):
        arrive(landing, round_number, rng)
        before = committed_batch_id(bronze)
        started = time.monotonic()
        process = subprocess.Popen(
            ingest_command(warehouse, landing),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if round_number % 2:
            killed = kill_after_a_commit(process, bronze, before)
            if killed:
                first_commit_seconds.append(time.monotonic() - started)
        else:
            time.sleep(rng.uniform(0, 1.5 * max(first_commit_seconds[-5:])))
            killed = process.poll() is None
            if killed:
                process.send_signal(signal.SIGKILL)
            process.wait()
        killed_mid_run += killed
        killed_after_a_commit += killed and committed_batch_id(bronze) > before
    # Rounds killed after a commit may all find the run ended first; this one lands many
    # batches, so it is still running when its first is committed.
    large = (f"large {n} {rng.random():.6f}\n" for n in range(12_000))
    (landing / "large.log").write_text("".join(large))
    before = committed_batch_id(bronze)
    process = subprocess.Popen(
        ingest_command(warehouse, landing), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    killed = kill_after_a_commit(process, bronze, before)
    killed_mid_run += killed
    killed_after_a_commit += killed
    finished = subprocess.run(
        ingest_command(warehouse, landing), capture_output=True, text=True, check=True
    )
    assert "problem" not in finished.stdout
    landed = check_exactly_once(warehouse, landing)
    print(
        f"{KILL_POINTS + 1} kill points: {killed_mid_run} mid-run; "
        f"{killed_after_a_commit} kill(s) after a commit; {landed:,} lines exactly once"
    )
    # Many kills must really interrupt an ingest, and some after a commit, or the test
    # proves little.
    assert killed_mid_run >= KILL_POINTS // 4, killed_mid_run
    assert killed_after_a_commit >= 1, "no kill fell after a commit"


def test_crash_between_bronze_commit_and_ledger_is_repaired(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    landing.mkdir()
    (landing / "a.log").write_text("one\ntwo\n")
    crashed = subprocess.run(
        ingest_command(warehouse, landing),
        env={**os.environ, "WEBLOGS_FAULT": "after-bronze-commit"},
        capture_output=True,
    )
    assert crashed.returncode == -signal.SIGKILL
    # The data landed, the ledger copy did not.
    assert DeltaTable(str(raw_table_path(warehouse, "weblogs_raw"))).count() == 2
    assert not ledger_table_path(warehouse, "weblogs_raw").exists()

    (landing / "b.log").write_text("three\n")
    subprocess.run(ingest_command(warehouse, landing), check=True, capture_output=True)
    assert check_exactly_once(warehouse, landing) == 3
    ledger = DeltaTable(str(ledger_table_path(warehouse, "weblogs_raw"))).to_pyarrow_table()
    pieces = sorted((row["batch_id"], row["line_count"]) for row in ledger.to_pylist())
    assert pieces == [(1, 2), (2, 1)]
