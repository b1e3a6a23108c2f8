"""A build with nothing new says so and skips dbt; anything that could change a table or a
test result builds again. The unit tests are left out while they passed with the project
as it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pipeline import LOW_COVERAGE

from conftest import Project
from weblogs.build.fingerprint import project_fingerprint
from weblogs.build.up_to_date import vars_only
from weblogs.cli.dbt import UNIT_TESTS_LEFT_OUT
from weblogs.generate import write_log

SKIPPED = "nothing new: the models are built through batch"


def build(project: Project, *args: str, dbt_vars: str = LOW_COVERAGE) -> str:
    return kind_of(build_output(project, *args, dbt_vars=dbt_vars))


def build_output(project: Project, *args: str, dbt_vars: str = LOW_COVERAGE) -> str:
    return project.weblogs("build", "--vars", dbt_vars, *args).stdout


def kind_of(output: str) -> str:
    assert (SKIPPED in output) != ("Done. PASS=" in output), output
    return "skipped" if SKIPPED in output else "built"


def ran_unit_tests(output: str) -> bool:
    """Whether a build's output shows the unit tests run, or says why they were left out."""
    ran = "START unit_test " in output
    assert ran != (UNIT_TESTS_LEFT_OUT in output), output
    return ran


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
    first = build_output(project)
    assert kind_of(first) == "built"
    assert ran_unit_tests(first)
    skipped = project.weblogs("build", "--vars", LOW_COVERAGE)
    assert skipped.stdout.strip().splitlines() == [
        f"{SKIPPED} 1, and the sources and the project are as they were built from "
        "(--force builds anyway)"
    ]
    # The unit tests passed with this project: left out until it changes, or a full check.
    forced = build_output(project, "--force")
    assert kind_of(forced) == "built"
    assert not ran_unit_tests(forced)
    assert build(project) == "skipped"
    with_full_check = LOW_COVERAGE[:-1] + ", full_check: true}"
    full_check = build_output(project, dbt_vars=with_full_check)
    assert kind_of(full_check) == "built"
    assert ran_unit_tests(full_check)
    # The vars of the last build differ: a build, still without the unit tests.
    after_full_check = build_output(project)
    assert kind_of(after_full_check) == "built"
    assert not ran_unit_tests(after_full_check)

    # Other vars, a selection: build (and a selection is not a complete build). Other vars
    # are another project: its unit tests run.
    other = "{status_code_coverage_threshold: 0.4, dq_monitor_severity: warn}"
    other_vars = build_output(project, dbt_vars=other)
    assert kind_of(other_vars) == "built"
    assert ran_unit_tests(other_vars)
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
    assert "START unit_test " in plain
    assert "Unable to do partial parsing" not in plain, plain
    assert build(project) == "skipped"

    # A changed model file, then a failed build: each builds again.
    model = project.project_dir / "models" / "marts" / "network_filter.sql"
    model.write_text(model.read_text() + "\n-- a comment changes the project\n")
    changed = build_output(project)
    assert kind_of(changed) == "built"
    assert ran_unit_tests(changed)
    # New vars change the project, so every row is tested: no coverage can reach 101%.
    failing = "{status_code_coverage_threshold: 1.01}"
    for _ in range(2):
        assert project.weblogs("build", "--vars", failing, check=False).returncode == 1
