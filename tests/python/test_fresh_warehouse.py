"""Building before anything landed builds empty tables; `dbt build --empty` passes on a fresh
warehouse and on one with data; an ingest then lands in the empty tables exactly once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from deltalake import DeltaTable
from test_pipeline import LOW_COVERAGE, count, scalar_rows

from conftest import BIN_DIR, Project
from weblogs.bronze import empty as raw_layer
from weblogs.bronze.base import RAW_SCHEMA
from weblogs.bronze.delta import DeltaBronze, ledger_table_path, load_ledger, raw_table_path
from weblogs.generate import write_log
from weblogs.ingest.ledger import LEDGER_SCHEMA

MARTS = (
    "weblogs.network_filter",
    "weblogs.requests_by_status",
    "weblogs.access_log_quarantine",
    "weblogs.access_log_late_arrivals",
    "weblogs.int_access_requests_deduplicated",
)


def done_line(output: str) -> str:
    return next(line for line in output.splitlines() if "Done. PASS=" in line)


def models_line(project: Project) -> str:
    status = project.weblogs("status").stdout
    return next(line for line in status.splitlines() if line.startswith("models built"))


def test_the_empty_raw_layer_has_the_ingest_schemas_and_takes_an_ingest_once(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "warehouse"
    created = raw_layer.create_missing_tables(warehouse, "raw")
    assert [name for name, _ in created] == ["access_log_lines", "ingest_ledger"]
    assert raw_layer.create_missing_tables(warehouse, "raw") == []
    bronze = DeltaTable(str(raw_table_path(warehouse, "raw")))
    assert bronze.schema().to_arrow() == RAW_SCHEMA
    assert DeltaTable(str(ledger_table_path(warehouse, "raw"))).schema().to_arrow() == (
        LEDGER_SCHEMA
    )
    assert DeltaBronze(warehouse, "raw").committed_batch_id() == 0
    assert load_ledger(warehouse, "raw").entries == []
    assert raw_layer.nothing_landed(warehouse, "raw")

    # Killed between the bronze commit and the ledger copy: the rerun repairs the ledger
    # from bronze and lands nothing twice.
    log = write_log(tmp_path / "logs" / "access.log", 300, seed=5)
    command = [
        str(BIN_DIR / "weblogs"), "--warehouse", str(warehouse), "--raw-schema", "raw",
        "ingest", str(log), "--settle-seconds", "0",
    ]  # fmt: skip
    killed = subprocess.run(
        command, env={**os.environ, "WEBLOGS_FAULT": "after-bronze-commit"}, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    assert load_ledger(warehouse, "raw").last_batch_id == 1
    rerun = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "nothing new to ingest" in rerun.stdout
    assert DeltaBronze(warehouse, "raw").committed_batch_id() == 1
    assert DeltaTable(str(raw_table_path(warehouse, "raw"))).to_pyarrow_table().num_rows == 300
    assert [entry.batch_id for entry in load_ledger(warehouse, "raw").entries] == [1]
    assert not raw_layer.nothing_landed(warehouse, "raw")


@pytest.mark.e2e
def test_a_build_before_anything_landed_builds_empty_tables(
    project: Project, tmp_path: Path
) -> None:
    built = project.dbt("build")
    assert re.search(r"ERROR=0 SKIP=0 ", done_line(built.stdout)), built.stdout
    assert "schema drift" not in built.stdout
    assert "created the raw layer empty" in built.stdout
    for mart in MARTS:
        assert count(project, mart) == 0, mart
    monitors = scalar_rows(project, "select status from weblogs.data_quality_monitors")
    assert monitors and {row["status"] for row in monitors} == {"ok"}
    assert models_line(project).endswith("through batch 0 (up to date)")

    note = project.weblogs("build")
    assert note.stdout.splitlines()[0] == raw_layer.NOTHING_LANDED
    assert note.stdout.count("nothing has landed yet") == 1

    log = write_log(tmp_path / "logs" / "access.log", 500, seed=9)
    assert project.weblogs("ingest", str(log), "--settle-seconds", "0").stdout.startswith(
        "batch 1: 500 lines"
    )
    assert count(project, "weblogs_raw.access_log_lines") == 500
    landed = project.weblogs("build", "--vars", LOW_COVERAGE)
    assert "nothing has landed yet" not in landed.stdout
    assert count(project, "weblogs.network_filter") > 0
    assert models_line(project).endswith("through batch 1 (up to date)")


@pytest.mark.e2e
def test_dbt_build_empty_passes_on_a_fresh_warehouse_and_on_one_with_data(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = project.dbt("build", "--empty")
    assert re.search(r"ERROR=0 SKIP=0 ", done_line(fresh.stdout)), fresh.stdout

    log = write_log(tmp_path / "logs" / "access.log", 500, seed=4)
    project.weblogs("ingest", str(log), "--settle-seconds", "0")
    project.dbt("build", "--vars", LOW_COVERAGE)
    merged = count(project, "weblogs.int_access_requests_deduplicated")
    assert merged > 0

    # On a warehouse with data --empty is refused unless asked for (test_empty_build.py).
    monkeypatch.setenv("WEBLOGS_ALLOW_EMPTY", "1")
    with_data = project.dbt("build", "--empty", "--vars", LOW_COVERAGE)
    assert re.search(r"ERROR=0 SKIP=0 ", done_line(with_data.stdout)), with_data.stdout
    assert "schema drift" not in with_data.stdout
    # --empty rebuilds the tables empty and appends nothing to the incremental ones; the
    # build state says the marts are behind until the next build.
    assert count(project, "weblogs.requests_by_status") == 0
    assert count(project, "weblogs.network_filter") > 0  # incremental: kept
    assert count(project, "weblogs.int_access_requests_deduplicated") == merged
    assert models_line(project).endswith("through batch 0 (1 batch(es) behind bronze)")
    monkeypatch.delenv("WEBLOGS_ALLOW_EMPTY")
    project.dbt("build", "--vars", LOW_COVERAGE)
    assert count(project, "weblogs.requests_by_status") > 0
    assert models_line(project).endswith("through batch 1 (up to date)")
