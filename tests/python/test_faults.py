"""Faults: a build killed at any moment, then rerun, ends exactly where an uninterrupted
build ends; an unwritable warehouse gives a clear error and no half-made table."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from deltalake import DeltaTable

from conftest import BIN_DIR, Project

# How many random moments to kill `dbt build` at. CI keeps it small; set more to search
# harder (WEBLOGS_KILL_POINTS=30 make e2e).
KILL_POINTS = int(os.environ.get("WEBLOGS_KILL_POINTS", "3"))
KILL_SEED = int(os.environ.get("WEBLOGS_KILL_SEED", "20260101"))
# Generated logs hold a few malformed lines on purpose: monitors only warn.
BUILD_VARS = "{dq_monitor_severity: warn}"
RUN_LOG = "run_log"


def warehouse_state(warehouse: Path) -> dict[str, str]:
    """A digest of every table's rows (order-independent) and every saved view, which a
    rerun after a crash must reproduce exactly. The run log is left out: it records runs."""
    state = {}
    for table in sorted(warehouse.glob("*/*/_delta_log")):
        location = table.parent
        if location.name == RUN_LOG or location.parent.name.startswith("_"):
            continue
        try:
            rows = DeltaTable(str(location)).to_pyarrow_table().to_pylist()
        except Exception as error:  # a folder without a first commit is no table
            state[f"{location.parent.name}.{location.name}"] = f"unreadable: {error}"
            continue
        lines = sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)
        digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        state[f"{location.parent.name}.{location.name}"] = f"{len(rows)} rows {digest}"
    for view in sorted((warehouse / "_catalog" / "views").glob("*.sql")):
        state[f"view {view.stem}"] = hashlib.sha256(view.read_bytes()).hexdigest()
    return state


def copy_project(template: Project, destination: Path) -> Project:
    shutil.copytree(template.warehouse, destination / "warehouse")
    (destination / "work").mkdir()
    return Project(warehouse=destination / "warehouse", workdir=destination / "work")


def build_killed_after(project: Project, delay: float) -> bool:
    """Start `dbt build`, SIGKILL its whole process group after `delay` seconds.
    True if it was still running (so really interrupted)."""
    process = subprocess.Popen(
        [str(BIN_DIR / "dbt"), "build", "--vars", BUILD_VARS],
        cwd=project.workdir,
        env=project.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


@pytest.fixture(scope="module")
def two_batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from weblogs.generate import write_log

    folder = tmp_path_factory.mktemp("logs")
    return (
        write_log(folder / "access.log.1", 4_000, seed=11),
        write_log(folder / "access.log", 4_000, seed=12),
    )


@pytest.mark.e2e
def test_sigkill_during_build_then_rerun_equals_an_uninterrupted_build(
    tmp_path: Path, two_batches: tuple[Path, Path]
) -> None:
    first, second = two_batches
    # Template A: nothing built yet (a kill hits table creation). Template B: the first
    # batch built and a second ingested (a kill hits the merge into existing tables).
    fresh = Project(warehouse=tmp_path / "a" / "warehouse", workdir=tmp_path / "a")
    fresh.workdir.mkdir(parents=True)
    fresh.weblogs("ingest", str(first))
    merging = copy_project(fresh, tmp_path / "b")
    merging.dbt("build", "--vars", BUILD_VARS)
    merging.weblogs("ingest", str(second))

    expected = {}
    durations = {}
    for name, template in (("create", fresh), ("merge", merging)):
        reference = copy_project(template, tmp_path / f"reference-{name}")
        started = time.monotonic()
        reference.dbt("build", "--vars", BUILD_VARS)
        durations[name] = time.monotonic() - started
        expected[name] = warehouse_state(reference.warehouse)

    rng = random.Random(KILL_SEED)
    interrupted = 0
    for point in range(KILL_POINTS):
        name, template = ("create", fresh) if point % 2 else ("merge", merging)
        delay = rng.uniform(0.5, durations[name])
        victim = copy_project(template, tmp_path / f"kill-{point}")
        interrupted += build_killed_after(victim, delay)
        result = victim.dbt("build", "--vars", BUILD_VARS, check=False)
        assert result.returncode == 0, (
            f"rerun after a kill at {delay:.2f}s into the {name} build failed:\n"
            f"{result.stdout[-3000:]}"
        )
        assert warehouse_state(victim.warehouse) == expected[name], (
            f"kill at {delay:.2f}s into the {name} build"
        )
        shutil.rmtree(victim.warehouse.parent)
    print(f"kill points: {KILL_POINTS}, really interrupted: {interrupted}, {durations=}")
    assert interrupted >= KILL_POINTS // 2
