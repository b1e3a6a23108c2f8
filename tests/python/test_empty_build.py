"""`dbt build --empty` checks the project's SQL by building every table from no rows. On a
warehouse with published data it replaced `requests_by_status` with 0 rows for readers until
the next build, so it is refused there unless asked for; on a scratch warehouse it runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import BIN_DIR, Project
from weblogs.generate import write_log

BUILD_VARS = "{dq_monitor_severity: warn}"


def count(project: Project, table: str) -> int:
    output = project.weblogs("sql", f"select count(*) as n from {table}", "--format", "json")
    return json.loads(output.stdout)["n"]


@pytest.mark.e2e
def test_an_empty_build_of_published_tables_is_refused_unless_asked_for(
    project: Project, tmp_path: Path
) -> None:
    log = write_log(tmp_path / "access.log", 1_000, seed=4)
    project.weblogs("ingest", str(log))
    project.dbt("build", "--vars", BUILD_VARS)
    published = count(project, "requests_by_status")
    assert published > 0

    refused = project.dbt("build", "--empty", check=False)
    assert refused.returncode == 2
    assert (
        f"dbt build --empty would replace the published tables of {project.warehouse} "
        "(built through batch 1) with empty ones"
    ) in refused.stdout
    assert "WEBLOGS_WAREHOUSE=$(mktemp -d) dbt build --empty" in refused.stdout
    assert count(project, "requests_by_status") == published
    status = project.weblogs("status").stdout
    assert "through batch 1 (up to date)" in status

    # The SQL checked on a scratch warehouse: nothing published there, nothing refused.
    scratch = Project(warehouse=tmp_path / "scratch", workdir=project.workdir)
    scratch.dbt("build", "--empty")
    assert count(project, "requests_by_status") == published

    # Asked for, it does what dbt's --empty does.
    allowed = subprocess.run(
        [str(BIN_DIR / "dbt"), "build", "--empty"], cwd=project.workdir,
        env={**project.env(), "WEBLOGS_ALLOW_EMPTY": "1"}, capture_output=True, text=True,
        timeout=project.timeout,
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stdout[-3000:]
    assert count(project, "requests_by_status") == 0
