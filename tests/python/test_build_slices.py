"""A long backlog built in slices of batches: each dbt build takes its slice of bronze
alone, and the tables end as one build of everything makes them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable
from test_pipeline import LOW_COVERAGE

from conftest import BIN_DIR, Project
from weblogs.build.slices import slice_ceilings
from weblogs.build.state import BATCH_CEILING_ENV, batch_ceiling, batch_ceiling_value
from weblogs.generate import write_log

# Tables every build makes the same whatever the slices; data_quality_monitors judges
# the batches of the last build, and run_log records each build.
SAME_TABLES = (
    "stg_apache_logs__lines",
    "int_access_requests_deduplicated",
    "int_request_tallies_by_batch",
    "access_log_quarantine",
    "network_filter",
    "requests_by_status",
    "traffic_by_window",
)
SLICE_LINE = re.compile(r"^build (\d+) of (\d+): batches (\d+) to (\d+) \(([\d,]+) lines\)$", re.M)


def test_slices_hold_whole_batches_the_largest_as_small_as_the_fewest_slices_allow() -> None:
    even = dict.fromkeys(range(1, 58), 283_000)
    ceilings = slice_ceilings(even, 0, 4_000_000)
    sizes = [
        sum(even[b] for b in range(low + 1, high + 1))
        for low, high in zip([0, *ceilings], ceilings, strict=False)
    ]
    assert len(ceilings) == 5 and ceilings[-1] == 57
    # The largest as small as five slices allow: 57 batches need one of 12 batches.
    assert max(sizes) == 12 * 283_000
    # Only batches after the mark; a batch larger than the limit is a slice of its own.
    assert slice_ceilings({1: 10, 2: 10, 3: 10}, 1, 15) == [2, 3]
    assert slice_ceilings({1: 100, 2: 1, 3: 1}, 0, 15) == [1, 3]
    assert slice_ceilings({1: 5, 2: 5}, 0, 0) == [2]
    assert slice_ceilings({1: 5, 2: 5}, 2, 3) == []


def ended_pid() -> int:
    """The pid of a process that has ended, as a `weblogs build` of the past."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(ended.stdout)


def test_the_batch_ceiling_binds_only_the_process_that_set_it_and_its_children(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(BATCH_CEILING_ENV, raising=False)
    assert batch_ceiling() == 0
    # Set by this process (dbt in it), or by its parent (dbt in a child of `weblogs build`).
    monkeypatch.setenv(BATCH_CEILING_ENV, f" {batch_ceiling_value(12)} ")
    assert batch_ceiling() == 12
    monkeypatch.setenv(BATCH_CEILING_ENV, f"7:{os.getppid()}")
    assert batch_ceiling() == 7
    # An export by hand, or a value of the old form: refused, never obeyed.
    for wrong in ("12", "0", "-3", "twelve", "1.5", f"0:{os.getpid()}", "3:", ":3"):
        monkeypatch.setenv(BATCH_CEILING_ENV, wrong)
        with pytest.raises(ValueError, match="sets it for its own dbt processes only"):
            batch_ceiling()
    # Left over from a `weblogs build` that has ended: another process's.
    monkeypatch.setenv(BATCH_CEILING_ENV, f"12:{ended_pid()}")
    with pytest.raises(ValueError, match=r"is left over from `weblogs build` \(process \d+\)"):
        batch_ceiling()


@pytest.mark.e2e
def test_a_ceiling_left_in_the_shell_stops_plain_dbt_with_its_reason(
    project: Project, tmp_path: Path
) -> None:
    """`export WEBLOGS_BUILD_THROUGH_BATCH=1` once quietly held every later `dbt build` at
    batch 1; now dbt refuses it, naming it, and builds nothing."""
    project.weblogs("ingest", str(write_log(tmp_path / "access.log", 300, seed=5)))
    for stale in ("1", f"1:{ended_pid()}"):
        result = subprocess.run(
            [str(BIN_DIR / "dbt"), "build", "--vars", LOW_COVERAGE],
            cwd=project.workdir, env={**project.env(), BATCH_CEILING_ENV: stale},
            capture_output=True, text=True, timeout=project.timeout,
        )  # fmt: skip
        assert result.returncode == 1
        assert f"unset it (`unset {BATCH_CEILING_ENV}`)" in result.stdout
        assert not (project.warehouse / "weblogs" / "stg_apache_logs__lines").exists()


def table_rows(warehouse: Path, table: str) -> list[str]:
    rows = DeltaTable(str(warehouse / "weblogs" / table)).to_pyarrow_table().to_pylist()
    return sorted(repr(sorted(row.items())) for row in rows)


@pytest.mark.e2e
def test_a_backlog_built_in_slices_equals_one_build(project: Project, tmp_path: Path) -> None:
    log = write_log(tmp_path / "access.log", 12_000, seed=11)
    project.weblogs("ingest", str(log), "--max-bytes-per-batch", "300kB")
    whole = Project(warehouse=tmp_path / "whole", workdir=tmp_path / "whole-work")
    whole.workdir.mkdir()
    shutil.copytree(project.warehouse, whole.warehouse)

    sliced = project.weblogs("build", "--lines-per-build", "4000", "--vars", LOW_COVERAGE)
    slices = [
        (int(first), int(last), int(lines.replace(",", "")))
        for _, _, first, last, lines in SLICE_LINE.findall(sliced.stdout)
    ]
    assert len(slices) >= 3, sliced.stdout
    assert sliced.stdout.count("Done. PASS=") == len(slices)
    whole_build = whole.weblogs("build", "--lines-per-build", "0", "--vars", LOW_COVERAGE)
    assert "build 1 of" not in whole_build.stdout

    # Each slice's build took its own batches from bronze, and nothing else.
    staged = [
        (row["first_batch_id"], row["last_batch_id"], row["rows_written"])
        for row in sorted(
            DeltaTable(str(project.warehouse / "weblogs" / "run_log"))
            .to_pyarrow_table()
            .to_pylist(),
            key=lambda row: row["run_started_at"],
        )
        if row["node_name"] == "stg_apache_logs__lines"
    ]
    assert staged == slices
    assert sum(lines for _, _, lines in slices) == 12_000

    for table in SAME_TABLES:
        assert table_rows(project.warehouse, table) == table_rows(whole.warehouse, table), table
    # Both warehouses are built and tested through the last batch: nothing is left to do.
    for warehouse in (project.warehouse, whole.warehouse):
        state = json.loads((warehouse / "_catalog" / "run_state.json").read_text())
        assert state["built_through_batch"] == slices[-1][1]
        assert state["tested"]["through_batch"] == slices[-1][1]
    again = project.weblogs("build", "--lines-per-build", "4000", "--vars", LOW_COVERAGE)
    assert "nothing new" in again.stdout
