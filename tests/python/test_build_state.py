"""The build state belongs to the warehouse: any dbt invocation records it, and `weblogs
status` is right after plain `dbt build`, `weblogs build`, a selection and a failed build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_pipeline import LOW_COVERAGE

from conftest import Project
from weblogs.build import state as build_state
from weblogs.build.state import Invocation, Model, new_marks
from weblogs.generate import write_log

BRONZE = "source.weblogs.apache_logs.access_log_lines"
# A monitor whose fail threshold every value exceeds: every table builds, one test fails.
FAILING = "{dq_quarantine_rate_fail: -1, status_code_coverage_threshold: 0.5}"


def models() -> list[Model]:
    """The project's shape: bronze -> staging -> merge -> view -> mart, plus a seed."""
    return [
        Model("model.stg", "w.stg", "incremental", (BRONZE,)),
        Model("model.merged", "w.merged", "incremental", ("model.stg",)),
        Model("model.enriched", "w.enriched", "view", ("model.merged", "seed.codes")),
        Model("model.mart", "w.mart", "table", ("model.enriched",)),
        Model("model.codes_only", "w.codes_only", "table", ("seed.codes",)),
    ]


def marks(
    statuses: dict[str, str], previous: dict[str, int], staged: int, *, empty: bool = False
) -> dict[str, int]:
    return new_marks(
        BRONZE,
        models(),
        Invocation(statuses=statuses, empty=empty),
        lambda relation: previous.get(relation, 0),
        lambda model: staged,
    )


ALL_OK = {name: "success" for name in ("model.stg", "model.merged", "model.mart")}
AT_TWO = {"w.stg": 2, "w.merged": 2, "w.mart": 2}


def test_a_full_build_brings_every_table_fed_from_bronze_to_the_staged_batch() -> None:
    assert marks(ALL_OK, AT_TWO, staged=3) == {"w.stg": 3, "w.merged": 3, "w.mart": 3}


def test_a_table_is_built_through_what_the_tables_it_reads_hold() -> None:
    # Staging parsed batch 3 earlier; the mart alone reads the merge table, still at 2.
    after = marks({"model.mart": "success"}, AT_TWO, staged=3)
    assert after == {"w.stg": 3, "w.merged": 2, "w.mart": 2}
    # A mart that failed or was skipped keeps what it had.
    assert marks({**ALL_OK, "model.mart": "skipped"}, AT_TWO, staged=3)["w.mart"] == 2
    assert marks({**ALL_OK, "model.mart": "error"}, AT_TWO, staged=3)["w.mart"] == 2


def test_an_invocation_with_a_failure_advances_nothing() -> None:
    failed = {**ALL_OK, "test.monitor": "fail"}
    assert marks(failed, AT_TWO, staged=3) == {"w.stg": 3, "w.merged": 2, "w.mart": 2}
    # It still lowers a mark when the inputs hold less (a staging rebuilt from less).
    assert marks(failed, AT_TWO, staged=1) == {"w.stg": 1, "w.merged": 1, "w.mart": 1}


def test_empty_rebuilds_tables_empty_and_leaves_incremental_ones() -> None:
    assert marks(ALL_OK, AT_TWO, staged=2, empty=True) == {"w.stg": 2, "w.merged": 2, "w.mart": 0}


def test_the_warehouse_is_built_through_its_lowest_mark(tmp_path: Path) -> None:
    # A state written by `weblogs run` alone (no marks) gives every table its batch.
    build_state.record_built_through(tmp_path, 2)
    through = build_state.record_invocation(
        tmp_path, BRONZE, models(), Invocation({"model.mart": "success"}), lambda model: 3
    )
    assert through == 2 == build_state.built_through(tmp_path)
    state = json.loads((tmp_path / "_catalog" / build_state.STATE_FILE).read_text())
    assert state["tables"] == {"w.stg": 3, "w.merged": 2, "w.mart": 2}
    through = build_state.record_invocation(
        tmp_path, BRONZE, models(), Invocation(ALL_OK), lambda model: 3
    )
    assert through == 3 == build_state.built_through(tmp_path)


def test_the_unit_tested_record_holds_one_project_and_outlives_new_marks(tmp_path: Path) -> None:
    assert not build_state.unit_tests_passed(tmp_path, "a")
    build_state.record_unit_tests_passed(tmp_path, "a")
    assert build_state.unit_tests_passed(tmp_path, "a")
    assert not build_state.unit_tests_passed(tmp_path, "b")
    # No fingerprint (an engine without build state, a full check) is never unit tested.
    build_state.record_unit_tests_passed(tmp_path, "")
    assert not build_state.unit_tests_passed(tmp_path, "")
    build_state.record_invocation(tmp_path, BRONZE, models(), Invocation(ALL_OK), lambda model: 3)
    build_state.reset_marks(tmp_path, ["w.mart"])
    assert build_state.unit_tests_passed(tmp_path, "a")
    assert build_state.built_through(tmp_path) == 0
    build_state.record_unit_tests_passed(tmp_path, "b")
    assert build_state.unit_tests_passed(tmp_path, "b")
    assert not build_state.unit_tests_passed(tmp_path, "a")


def models_line(project: Project) -> str:
    status = project.weblogs("status").stdout
    return next(line for line in status.splitlines() if line.startswith("models built"))


def land(project: Project, folder: Path, name: str, seed: int) -> None:
    log = write_log(folder / name, 400, seed=seed)
    project.weblogs("ingest", str(log), "--settle-seconds", "0")


@pytest.mark.e2e
def test_status_is_right_after_any_build(project: Project, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    land(project, logs, "first.log", seed=1)
    assert models_line(project).endswith("through batch 0 (1 batch(es) behind bronze)")

    project.dbt("build", "--vars", LOW_COVERAGE)
    assert models_line(project).endswith("through batch 1 (up to date)")

    land(project, logs, "second.log", seed=2)
    project.weblogs("build", "--vars", LOW_COVERAGE)
    assert models_line(project).endswith("through batch 2 (up to date)")

    # A selection that does not parse the new batch claims nothing of it.
    land(project, logs, "third.log", seed=3)
    project.dbt("build", "-s", "network_filter", "--vars", LOW_COVERAGE)
    assert models_line(project).endswith("through batch 2 (1 batch(es) behind bronze)")
    # Staging alone parses it; the tables built from staging still hold batch 2.
    project.dbt("run", "-s", "stg_apache_logs__lines")
    assert models_line(project).endswith("through batch 2 (1 batch(es) behind bronze)")

    # Every table rebuilt, but a test failed: a failed build does not advance it.
    failed = project.dbt("build", "--vars", FAILING, check=False)
    assert failed.returncode == 1
    assert "ERROR=1 SKIP=0" in failed.stdout
    assert "Failure in test data_quality_monitors_within_thresholds" in failed.stdout
    assert "fail quarantine_rate " in failed.stdout
    assert models_line(project).endswith("through batch 2 (1 batch(es) behind bronze)")

    project.dbt("build", "--vars", LOW_COVERAGE)
    assert models_line(project).endswith("through batch 3 (up to date)")
