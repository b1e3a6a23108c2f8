"""Plain dbt beside the `weblogs` command: every writer takes the warehouse's lock, so a
second one waits (one line naming the holder) or refuses when told not to wait; readers
never wait; and the dbt a `weblogs` command starts shares its parent's holding instead of
waiting for it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import BIN_DIR, Project
from weblogs.cli.commands.run import TEST_ONLY_RELEASE_ENV
from weblogs.file_lock import holder
from weblogs.generate import write_log

# Generated logs hold a few malformed lines on purpose: monitors only warn.
BUILD_VARS = "{dq_monitor_severity: warn}"
# A guard against a hang, far beyond what any step takes on a busy machine.
GUARD_SECONDS = 900
ESCAPE = "\x1b["


def launch(project: Project, program: str, *args: str, output: Path, **env: str):
    """A command in its own process, its stdout and stderr in files (read while it runs)."""
    return subprocess.Popen(
        [str(BIN_DIR / program), *args],
        cwd=project.workdir,
        env={**project.env(), **env},
        stdout=output.with_suffix(".out").open("w"),
        stderr=output.with_suffix(".err").open("w"),
        start_new_session=True,
    )


def text(output: Path, suffix: str) -> str:
    return output.with_suffix(suffix).read_text(encoding="utf-8", errors="replace")


def until(what: str, happened: Callable[[], bool], *processes: subprocess.Popen) -> None:
    """Wait for an event another process causes (a line it prints, a lock it takes); fail
    if it cannot come any more (the processes ended) or the guard runs out."""
    deadline = time.monotonic() + GUARD_SECONDS
    while not happened():
        if all(process.poll() is not None for process in processes):
            if happened():
                return
            raise AssertionError(f"never happened: {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {GUARD_SECONDS} s: {what}")
        time.sleep(0.1)


def ended(process: subprocess.Popen) -> int:
    return process.wait(timeout=GUARD_SECONDS)


def models_line(project: Project) -> str:
    status = project.weblogs("status").stdout
    return next(line for line in status.splitlines() if line.startswith("models built"))


def landed(project: Project, lines: int, *, batch_bytes: str = "64MB") -> None:
    log = write_log(project.workdir / "logs" / "access.log", lines, seed=21)
    project.weblogs("ingest", str(log), "--max-bytes-per-batch", batch_bytes)


@pytest.mark.e2e
def test_weblogs_build_waits_for_a_plain_dbt_build(project: Project) -> None:
    """Started together on a landed batch, both failed on traffic_by_window (a merge's
    staged file "not found"; "Runtime Error"): now the second waits for the first."""
    landed(project, 2_000)
    dbt = launch(project, "dbt", "build", "--vars", BUILD_VARS, output=project.workdir / "dbt")
    until(
        "plain dbt build holds the warehouse",
        lambda: holder(project.warehouse).startswith(f"dbt build (pid {dbt.pid}) since "),
        dbt,
    )
    weblogs = launch(
        project, "weblogs", "build", "--force", "--vars", BUILD_VARS,
        output=project.workdir / "weblogs",
    )  # fmt: skip
    assert (ended(dbt), ended(weblogs)) == (0, 0), text(project.workdir / "weblogs", ".err")
    waited = text(project.workdir / "weblogs", ".err").splitlines()[0]
    assert waited.startswith(
        f"weblogs build: the warehouse {project.warehouse} is held by dbt build (pid {dbt.pid})"
    )
    assert waited.endswith("; waiting until it is free")
    assert models_line(project).endswith("through batch 1 (up to date)")
    # Redirected, dbt's output has no colour codes (they landed in files and pipes).
    assert ESCAPE not in text(project.workdir / "weblogs", ".out")
    # Given back: nobody holds it now.
    assert holder(project.warehouse) == "another process"


@pytest.mark.e2e
def test_a_plain_dbt_build_waits_for_weblogs_build_whose_slices_share_its_lock(
    project: Project,
) -> None:
    """`weblogs build` holds the warehouse and runs each slice's dbt in a child process: the
    children pass (their parent's holding is theirs), a plain `dbt build` waits."""
    landed(project, 3_000, batch_bytes="150kB")
    weblogs = launch(
        project, "weblogs", "build", "--lines-per-build", "800", "--vars", BUILD_VARS,
        output=project.workdir / "weblogs",
    )  # fmt: skip
    until(
        "weblogs build starts its first slice",
        lambda: "build 1 of " in text(project.workdir / "weblogs", ".out"),
        weblogs,
    )
    dbt = launch(project, "dbt", "build", "--vars", BUILD_VARS, output=project.workdir / "dbt")
    assert (ended(weblogs), ended(dbt)) == (0, 0), text(project.workdir / "dbt", ".out")[-3000:]
    out = text(project.workdir / "weblogs", ".out")
    assert "build 2 of " in out, out
    assert ESCAPE not in out
    waited = text(project.workdir / "dbt", ".err").splitlines()[0]
    assert waited.startswith(
        f"dbt build: the warehouse {project.warehouse} is held by weblogs build (pid "
        f"{weblogs.pid}) since "
    )
    assert models_line(project).endswith("(up to date)")


@pytest.mark.e2e
def test_a_plain_dbt_build_beside_weblogs_run_watch_runs_between_its_cycles(
    project: Project,
) -> None:
    """`weblogs run --watch` holds the writer lock while a cycle lands and builds, not while
    it waits for files: a `dbt build` started during a cycle waits for that cycle, then runs
    while the watch goes on.

    Each step waits on an event, not the clock: the cycle keeps the lock after its build
    until a file appears (the test-only pause of `weblogs run`), and the file is written
    once dbt says that it waits for the lock."""
    landing = project.workdir / "landing"
    write_log(landing / "default" / "access.log", 3_000, seed=22)
    release = project.workdir / "release-the-cycle"
    watch = launch(
        project, "weblogs", "run", "--watch", "--settle-seconds", "0",
        "--max-bytes-per-batch", "150kB", "--vars", BUILD_VARS,
        output=project.workdir / "watch", **{TEST_ONLY_RELEASE_ENV: str(release)},
    )  # fmt: skip
    try:
        until(
            "the watch holds the warehouse",
            lambda: holder(project.warehouse).startswith(f"weblogs run (pid {watch.pid}) since "),
            watch,
        )
        dbt = launch(project, "dbt", "build", "--vars", BUILD_VARS, output=project.workdir / "dbt")
        until(
            "dbt waits for the watch's cycle",
            lambda: "; waiting until it is free" in text(project.workdir / "dbt", ".err"),
            dbt,
        )
        release.touch()
        assert ended(dbt) == 0, text(project.workdir / "dbt", ".out")[-3000:]
        assert watch.poll() is None, "dbt built while the watch went on"
        waited = text(project.workdir / "dbt", ".err").splitlines()[0]
        assert waited.startswith(
            f"dbt build: the warehouse {project.warehouse} is held by weblogs run (pid "
            f"{watch.pid}) since "
        )
        # The cycle landed several micro-batches and built once, through the last of them.
        watched = text(project.workdir / "watch", ".out")
        landed = re.search(r"^batches 1-(\d+): 3,000 lines from 1 file", watched, re.MULTILINE)
        assert landed, watched
        batches = int(landed[1])
        assert watched.count("built through batch ") == 1, watched
        assert f"built through batch {batches} in " in watched, watched
        # Between cycles it says that it waits (it printed nothing there before).
        until(
            "the watch waits for files",
            lambda: f"waiting for files in {landing}" in text(project.workdir / "watch", ".out"),
            watch,
        )
    finally:
        if watch.poll() is None:
            os.killpg(watch.pid, signal.SIGTERM)
    assert ended(watch) == 0, text(project.workdir / "watch", ".err")
    assert models_line(project).endswith("(up to date)")


HOLDER = """
import sys
from pathlib import Path
from weblogs.file_lock import run_lock
with run_lock(Path(sys.argv[1]), wait=False):
    print("holding", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def held(project: Project):
    """Another process holding the warehouse's writer lock until the test lets it go."""
    project.warehouse.mkdir(parents=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(project.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout.readline() == "holding\n"
    yield process
    process.stdin.close()
    process.wait(timeout=60)


@pytest.mark.e2e
def test_plain_dbt_told_not_to_wait_refuses_naming_the_holder(
    project: Project, held: subprocess.Popen
) -> None:
    result = subprocess.run(
        [str(BIN_DIR / "dbt"), "build"], cwd=project.workdir,
        env={**project.env(), "WEBLOGS_NO_WAIT": "1"}, capture_output=True, text=True,
        timeout=GUARD_SECONDS,
    )  # fmt: skip
    assert result.returncode == 2
    assert (
        f"the warehouse {project.warehouse} is busy: weblogs run (pid {held.pid}) since "
    ) in result.stdout
    assert "unset WEBLOGS_NO_WAIT to queue behind it" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    # It wrote nothing: no table, no build state.
    assert sorted(path.name for path in project.warehouse.iterdir()) == [".run.lock"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    "args",
    [["ls"], ["parse"], ["compile", "--select", "network_filter"],
     ["show", "--inline", "select 1 as one"]],
    ids=["ls", "parse", "compile", "show"],
)  # fmt: skip
def test_readers_never_wait(project: Project, held: subprocess.Popen, args: list[str]) -> None:
    result = project.dbt(*args)
    assert "held by" not in result.stderr + result.stdout
    assert held.poll() is None, "it ran while the warehouse was held"
