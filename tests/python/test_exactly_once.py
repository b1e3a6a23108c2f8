"""Exactly-once ingestion under crashes: `weblogs ingest` killed with SIGKILL at random
instants, again and again, while files arrive, grow and are copied; afterwards every line
of every file is in bronze exactly once."""

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
from weblogs.bronze.delta import ledger_table_path, raw_table_path

# Overridable to run many more kill points outside CI.
KILL_POINTS = int(os.environ.get("WEBLOGS_INGEST_KILL_POINTS", "40"))


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


@pytest.mark.e2e
def test_ingest_survives_sigkill_at_random_points(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    landing.mkdir()
    rng = random.Random(20261126)
    killed_mid_run = 0
    for round_number in range(KILL_POINTS):
        arrive(landing, round_number, rng)
        process = subprocess.Popen(
            ingest_command(warehouse, landing),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed_mid_run += 1
        process.wait()
    finished = subprocess.run(
        ingest_command(warehouse, landing), capture_output=True, text=True, check=True
    )
    assert "problem" not in finished.stdout
    landed = check_exactly_once(warehouse, landing)
    # Many kills must really interrupt an ingest, or the test proves little.
    assert killed_mid_run >= KILL_POINTS // 4, killed_mid_run
    print(f"{KILL_POINTS} kill points, {killed_mid_run} mid-run, {landed:,} lines exactly once")


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
