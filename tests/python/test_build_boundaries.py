"""A build killed (SIGKILL) at each boundary between its steps in turn reruns to exactly
the tables, views and build records of an uninterrupted build. Its own file, so that this
long test (about 50 builds) and the rest of test_faults.py run on different workers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# two_batches is test_faults.py's fixture, made this module's by the import.
from test_faults import (  # noqa: F401
    BUILD_VARS,
    KILLED_AT,
    STATE_RECORDS,
    copy_project,
    two_batches,
    warehouse_state,
)

from conftest import Project


@dataclass
class Run:
    """One `dbt build` of build_killed_at.py: its exit status, the boundaries it passed
    (and the nodes that failed), the end of what it printed."""

    status: int
    reached: list[str]
    output: str


def builds_killed_at(project: Project, runs: Path, boundaries: list[str]) -> list[Run]:
    """`dbt build` killed (SIGKILL) at each of `boundaries` (`-`: never) in turn, each a
    rerun after the one before; the runs, up to the first that did not end as asked."""
    subprocess.run(
        [sys.executable, KILLED_AT, str(runs), *boundaries, "--", "build", "--vars", BUILD_VARS],
        cwd=project.workdir, env=project.env(), check=True,
        timeout=project.timeout * len(boundaries),
    )  # fmt: skip
    done = []
    for number in range(len(boundaries)):
        if not (runs / f"{number}.status").exists():
            break
        done.append(
            Run(
                status=int((runs / f"{number}.status").read_text()),
                reached=(runs / f"{number}.steps").read_text().splitlines(),
                output=(runs / f"{number}.out").read_text()[-3000:],
            )
        )
    return done


@pytest.fixture(scope="module")
def starts(
    tmp_path_factory: pytest.TempPathFactory,
    two_batches: tuple[Path, Path],  # noqa: F811 (the fixture imported above)
) -> dict[str, tuple[Project, tuple[Project, Run] | None]]:
    """Per kind of build, a warehouse to copy and kill builds in, and when there is one,
    its uninterrupted build (to compare with). `create`: one batch ingested, nothing built
    (a kill hits table creation). `merge`: that batch built and a second ingested (a kill
    hits the merge into existing tables). The uninterrupted `create` build is the one that
    makes the `merge` warehouse."""
    first, second = two_batches
    root = tmp_path_factory.mktemp("starts")
    fresh = Project(warehouse=root / "create" / "warehouse", workdir=root / "create" / "work")
    fresh.workdir.mkdir(parents=True)
    fresh.weblogs("ingest", str(first))
    built = copy_project(fresh, root / "create-built")
    (run,) = builds_killed_at(built, root / "create-built" / "runs", ["-"])
    assert run.status == 0, run.output
    merging = copy_project(built, root / "merge")
    merging.weblogs("ingest", str(second))
    return {"create": (fresh, (built, run)), "merge": (merging, None)}


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
    tmp_path: Path, starts: dict[str, tuple[Project, tuple[Project, Run] | None]], template: str
) -> None:
    """`dbt build` killed just after each step that writes, in order: each on-run-start hook,
    each function, seed and model once committed (dbt's second thread may be half-way
    through another node then), each on-run-end hook. Each kill falls in the rerun after the
    one before, which must get there with no node failing. The last, after the last hook,
    ends a run that has done every step: it must leave every table, view and build record
    as an uninterrupted build does, and the next build must run on it."""
    start, uninterrupted = starts[template]
    if uninterrupted is None:
        reference = copy_project(start, tmp_path / "reference")
        (run,) = builds_killed_at(reference, tmp_path / "uninterrupted", ["-"])
        assert run.status == 0, run.output
    else:
        reference, run = uninterrupted
    boundaries = run.reached
    assert set(boundaries) == writing_steps(reference), "a boundary of every hook and writing node"
    assert len(boundaries) == len(set(boundaries))
    assert boundaries[-1].startswith("after weblogs.on-run-end."), boundaries

    victim = copy_project(start, tmp_path / "victim")
    nothing_written = ephemeral_steps(reference)
    kills = [boundary for boundary in boundaries if boundary not in nothing_written]
    runs = builds_killed_at(victim, tmp_path / "killed", kills)
    for boundary, run in zip(kills, runs, strict=False):
        assert (run.status, run.reached[-1:]) == (-signal.SIGKILL, [boundary]), (
            f"the rerun did not reach {boundary} (exit status {run.status}); it passed: "
            f"{run.reached}\n{run.output}"
        )
        assert not [line for line in run.reached if line.startswith("failed ")], run.output
    assert len(runs) == len(kills)
    assert warehouse_state(victim.warehouse) == warehouse_state(reference.warehouse)
    assert build_records(victim.warehouse) == build_records(reference.warehouse)
    (after,) = builds_killed_at(victim, tmp_path / "after", ["-"])
    assert after.status == 0, after.output
    print(f"{template}: {len(kills)} kills, one after each step that writes")
