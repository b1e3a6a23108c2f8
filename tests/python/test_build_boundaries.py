"""A build killed (SIGKILL) at each boundary between its steps in turn reruns to exactly
the tables, views and build records of an uninterrupted build. Its own file, so that this
long test (about 50 builds) and the rest of test_faults.py run on different workers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

# two_batches and templates are test_faults.py's fixtures, made this module's by the import.
from test_faults import (  # noqa: F401
    BUILD_VARS,
    KILLED_AT,
    STATE_RECORDS,
    copy_project,
    templates,
    two_batches,
    warehouse_state,
)

from conftest import Project


def build_killed_at(project: Project, boundary: str, steps: Path) -> int:
    """`dbt build` killed (SIGKILL) at `boundary` (`-`: never); its exit status. `steps`
    gets the boundaries it passed and the nodes that failed, the file beside it with the
    suffix .out what dbt printed."""
    with steps.with_suffix(".out").open("w") as output:
        return subprocess.run(
            [sys.executable, KILLED_AT, boundary, str(steps), "build", "--vars", BUILD_VARS],
            cwd=project.workdir, env=project.env(), stdout=output, stderr=subprocess.STDOUT,
            timeout=project.timeout,
        ).returncode  # fmt: skip


def build_records(warehouse: Path) -> dict:
    state = json.loads((warehouse / "_catalog" / "run_state.json").read_text(encoding="utf-8"))
    return {key: state.get(key) for key in STATE_RECORDS}


def ephemeral_steps(project: Project) -> set[str]:
    """The boundaries dbt reports after an ephemeral model: its SQL runs inside the models
    that ref it, so nothing is written there and a kill there is one at the step before."""
    manifest = json.loads((project.workdir / "target" / "manifest.json").read_text())
    return {
        f"after {node['unique_id']}"
        for node in manifest["nodes"].values()
        if node["config"].get("materialized") == "ephemeral"
    }


def writing_steps(project: Project) -> set[str]:
    """Every hook and every node that writes, from the manifest of the project's last run."""
    manifest = json.loads((project.workdir / "target" / "manifest.json").read_text())
    steps = set()
    for node in [*manifest["nodes"].values(), *manifest["functions"].values()]:
        if node["resource_type"] in ("model", "seed", "function"):
            steps.add(f"after {node['unique_id']}")
        elif node["resource_type"] == "operation":
            # The hook node `weblogs-on-run-start-0` is `weblogs.on-run-start.0` in events.
            package = node["package_name"]
            hook, index = node["name"].removeprefix(f"{package}-").rsplit("-", 1)
            steps.add(f"after {package}.{hook}.{index}")
    return steps


@pytest.mark.e2e
@pytest.mark.parametrize("template", ["create", "merge"])
def test_a_build_killed_at_each_boundary_in_turn_reruns_to_an_uninterrupted_build(
    tmp_path: Path, request: pytest.FixtureRequest, template: str
) -> None:
    """`dbt build` killed just after each step that writes, in order: each on-run-start hook,
    each function, seed and model once committed (dbt's second thread may be half-way
    through another node then), each on-run-end hook. Each kill falls in the rerun after the
    one before, which must get there with no node failing. The last, after the last hook,
    ends a run that has done every step: it must leave every table, view and build record
    as an uninterrupted build does, and the next build must run on it."""
    warehouses: dict[str, Project] = request.getfixturevalue("templates")
    reference = copy_project(warehouses[template], tmp_path / "reference")
    steps = tmp_path / "uninterrupted.steps"
    assert build_killed_at(reference, "-", steps) == 0
    boundaries = steps.read_text().splitlines()
    assert set(boundaries) == writing_steps(reference), "a boundary of every hook and writing node"
    assert len(boundaries) == len(set(boundaries))
    assert boundaries[-1].startswith("after weblogs.on-run-end."), boundaries

    victim = copy_project(warehouses[template], tmp_path / "victim")
    nothing_written = ephemeral_steps(reference)
    kills = [boundary for boundary in boundaries if boundary not in nothing_written]
    for number, boundary in enumerate(kills):
        steps = tmp_path / f"killed-{number}.steps"
        status = build_killed_at(victim, boundary, steps)
        reached = steps.read_text().splitlines()
        output = steps.with_suffix(".out").read_text()[-3000:]
        assert (status, reached[-1:]) == (-signal.SIGKILL, [boundary]), (
            f"the rerun did not reach {boundary} (exit status {status}); it passed: {reached}"
            f"\n{output}"
        )
        assert not [line for line in reached if line.startswith("failed ")], output
    assert warehouse_state(victim.warehouse) == warehouse_state(reference.warehouse)
    assert build_records(victim.warehouse) == build_records(reference.warehouse)
    after = tmp_path / "after.steps"
    assert build_killed_at(victim, "-", after) == 0, after.with_suffix(".out").read_text()[-3000:]
    print(f"{template}: {len(kills)} kills, one after each step that writes")
