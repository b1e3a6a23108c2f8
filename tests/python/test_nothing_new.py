"""A build with nothing new says so and skips dbt; anything that could change a table or a
test result builds again."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pipeline import LOW_COVERAGE

from conftest import Project
from weblogs.build.fingerprint import project_fingerprint
from weblogs.build.up_to_date import vars_only
from weblogs.generate import write_log

SKIPPED = "nothing new: the models are built through batch"


def build(project: Project, *args: str, dbt_vars: str = LOW_COVERAGE) -> str:
    output = project.weblogs("build", "--vars", dbt_vars, *args).stdout
    assert (SKIPPED in output) != ("Done. PASS=" in output), output
    return "skipped" if SKIPPED in output else "built"


def test_only_vars_may_accompany_a_skipped_build() -> None:
    assert vars_only([]) == {}
    assert vars_only(["--vars", "{a: 1, b: [x]}"]) == {"a": 1, "b": ["x"]}
    assert vars_only(["--vars={a: 1}"]) == {"a": 1}
    for args in (["--full-refresh"], ["-s", "network_filter"], ["--vars", "{a"], ["--vars"]):
        assert vars_only(args) is None


def test_the_fingerprint_covers_dbt_tests_but_not_the_pytest_suite(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    for relative in ("tests/a.sql", "tests/python/test_x.py", "tests/fixtures/bad.log"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("1\n")

    def fingerprint() -> str:
        return project_fingerprint(tmp_path, "local", {}, {}, ())

    before = fingerprint()
    (tmp_path / "tests/python/test_x.py").write_text("2\n")
    (tmp_path / "tests/fixtures/bad.log").write_text("2\n")
    assert fingerprint() == before
    (tmp_path / "tests/a.sql").write_text("2\n")
    assert fingerprint() != before


@pytest.mark.e2e
def test_a_build_with_nothing_new_is_skipped_and_any_change_builds(
    project_copy: Project, tmp_path: Path
) -> None:
    project = project_copy
    log = write_log(tmp_path / "access.log", 300, seed=51)
    project.weblogs("ingest", str(log))
    assert build(project) == "built"
    skipped = project.weblogs("build", "--vars", LOW_COVERAGE)
    assert skipped.stdout.strip().splitlines() == [
        f"{SKIPPED} 1, and the sources and the project are as they were built from "
        "(--force builds anyway)"
    ]
    assert build(project, "--force") == "built"
    assert build(project) == "skipped"

    # Other vars, a selection: build (and a selection is not a complete build).
    other = "{status_code_coverage_threshold: 0.4, dq_monitor_severity: warn}"
    assert build(project, dbt_vars=other) == "built"
    assert build(project, "--select", "network_filter") == "built"
    assert build(project) == "built"
    assert build(project) == "skipped"

    # The same file again under another name: no batch, but the ledger notes a duplicate
    # (its tests read it).
    copy = tmp_path / "copy.log"
    copy.write_bytes(log.read_bytes())
    assert "nothing new to ingest" in project.weblogs("ingest", str(copy)).stdout
    assert build(project) == "built"

    # Plain dbt always builds, and a complete dbt build counts as the last build. It reuses
    # the parse of the weblogs build before it (the same project, profile, target and vars).
    plain = project.dbt("build", "--vars", LOW_COVERAGE).stdout
    assert "Done. PASS=" in plain
    assert "Unable to do partial parsing" not in plain, plain
    assert build(project) == "skipped"

    # A changed model file, then a failed build: each builds again.
    model = project.project_dir / "models" / "marts" / "network_filter.sql"
    model.write_text(model.read_text() + "\n-- a comment changes the project\n")
    assert build(project) == "built"
    # New vars change the project, so every row is tested: no coverage can reach 101%.
    failing = "{status_code_coverage_threshold: 1.01}"
    for _ in range(2):
        assert project.weblogs("build", "--vars", failing, check=False).returncode == 1
