"""dbt's artifacts belong to the warehouse they describe: `dbt retry` in one warehouse never
replays another's run, and replays a `weblogs build` of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from test_build_state import FAILING

from conftest import Project
from weblogs.generate import write_log

FAILED_TEST = "data_quality_monitors_within_thresholds"


@dataclass
class WarehouseArtifacts(Project):
    """The project as a user runs it: no DBT_TARGET_PATH, so dbt_project.yml decides."""

    def env(self) -> dict[str, str]:
        environment = super().env()
        del environment["DBT_TARGET_PATH"]
        return environment


@pytest.mark.e2e
def test_retry_replays_only_its_own_warehouse(tmp_path: Path) -> None:
    first, second = (
        WarehouseArtifacts(warehouse=tmp_path / name / "warehouse", workdir=tmp_path / name)
        for name in ("first", "second")
    )
    for project in (first, second):
        project.workdir.mkdir()
    log = write_log(tmp_path / "logs" / "access.log", 300, seed=6)
    first.weblogs("ingest", str(log), "--settle-seconds", "0")
    failed = first.weblogs("build", "--vars", FAILING, check=False)
    assert failed.returncode == 1
    assert (first.warehouse / "_dbt" / "target" / "run_results.json").is_file()

    # Nothing ran in the second warehouse: there is nothing of its own to retry.
    nothing = second.dbt("retry", check=False)
    assert nothing.returncode != 0
    assert f"Could not find previous run in '{second.warehouse}/_dbt/target'" in nothing.stdout
    assert FAILED_TEST not in nothing.stdout
    # After a build of its own that passed, a retry has nothing to do.
    second.weblogs("build")
    assert "Nothing to do" in second.dbt("retry").stdout

    # The first warehouse replays exactly the test its `weblogs build` failed, with its vars.
    replayed = first.dbt("retry", check=False)
    assert replayed.returncode == 1
    assert f"1 of 1 START test {FAILED_TEST}" in replayed.stdout
