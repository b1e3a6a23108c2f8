"""No traceback for a user mistake, a closed pipe or a Ctrl-C: each command, run as a user
would (in its own process), ends in one line and a meaningful exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from conftest import BIN_DIR, Project

WEBLOGS = str(BIN_DIR / "weblogs")
INTERRUPTED, PIPE_CLOSED = 130, 141


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text
        assert "Exception ignored" not in text, text
        assert "leaked semaphore" not in text, text


# As from a terminal: a test worker may ignore SIGINT, and an ignored signal stays ignored
# in the child, which then never sees the Ctrl-C. A small Python sets it back to the default
# and then becomes the command. Not Popen's preexec_fn: it runs Python in the forked copy of
# a worker that has threads (its link to pytest-xdist's controller), where Python's documents
# warn it may deadlock before the command starts. Two CI failures here fit that: the command
# ended by SIGABRT with nothing on its stderr, once after 60 s without starting to write.
DEFAULT_SIGINT_THEN_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def start(project: Project, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DEFAULT_SIGINT_THEN_EXEC, WEBLOGS, *args],
        cwd=project.workdir,
        env=project.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        # argparse writes help text ignoring a closed stdout, and exits 0.
        (["--help"], 0),
        (["build", "--help"], 0),
        (["status"], PIPE_CLOSED),
        (["sql", "select id from range(200000)"], PIPE_CLOSED),
        (["sql", "select id from range(200000)", "--format", "csv"], PIPE_CLOSED),
    ],
)
def test_a_closed_output_pipe_ends_quietly(project: Project, args: list[str], code: int) -> None:
    """`weblogs ... | head`: the reader is gone before the output is written."""
    process = start(project, *args)
    process.stdout.close()
    stderr = process.stderr.read()
    assert (process.wait(timeout=120), stderr) == (code, "")


def test_reading_one_line_then_closing_the_pipe(project: Project) -> None:
    """`weblogs sql "..." | head -1`: the pipe closes in the middle of the rows."""
    process = start(project, "sql", "select id from range(200000)")
    header = process.stdout.readline()
    if not header:  # ended before its first row: say how
        raise AssertionError((process.wait(timeout=120), process.stderr.read()))
    assert header.split() == ["id"]
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == PIPE_CLOSED
    assert stderr == ""


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["sql", "select 1"],
        ["build"],
        ["ingest", "x.log"],
        ["compact"],
    ],
)
def test_a_warehouse_that_is_a_file(project: Project, args: list[str]) -> None:
    (project.workdir / "afile").write_text("not a folder\n")
    result = project.weblogs("--warehouse", "afile", *args, check=False)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"weblogs: the warehouse {project.workdir / 'afile'} is a file, not a folder\n"
    )


@pytest.mark.parametrize("command", ["run", "status"])
def test_a_missing_landing_folder(project: Project, command: str) -> None:
    result = project.weblogs(command, "--landing", "nowhere", check=False)
    assert result.returncode == 2
    assert result.stderr == f"weblogs: no such landing folder: {project.workdir / 'nowhere'}\n"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["run", "--every", "5x"], "argument --every: not a duration: '5x'"),
        (["ingest", "x.log", "--max-bytes-per-batch", ""], "argument --max-bytes-per-batch"),
        (["ingest", "x.log", "--max-bytes-per-batch", "64QB"], "not a size: '64QB'"),
        (["compact", "--retain-hours", "-1"], "argument --retain-hours"),
    ],
)
def test_bad_durations_and_sizes(project: Project, args: list[str], error: str) -> None:
    result = project.weblogs(*args, check=False)
    assert result.returncode == 2
    no_traceback(result.stderr)
    assert error in result.stderr.strip().splitlines()[-1]


def test_compact_of_a_table_that_is_not_there(project: Project) -> None:
    result = project.weblogs("compact", "weblogs.nothing", check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("weblogs: no Delta table weblogs.nothing in ")
    assert result.stderr.rstrip().endswith("tables: none yet")


def interrupted(process: subprocess.Popen, *, after_line: str = "", after: float = 0) -> tuple:
    """Ctrl-C once `after_line` shows in the output (or after `after` seconds)."""
    seen = []
    if after_line:
        for line in process.stdout:
            seen.append(line)
            if after_line in line:
                break
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    try:
        stdout, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()  # not left running behind a failed test
        raise
    return process.returncode, "".join(seen) + stdout, stderr


def test_ctrl_c_during_a_query(project: Project) -> None:
    process = start(project, "sql", "select sum(hash(id)) from range(100000000000)")
    code, stdout, stderr = interrupted(process, after=8)
    no_traceback(stdout, stderr)
    assert (code, stderr) == (INTERRUPTED, "weblogs: interrupted\n")


def test_ctrl_c_during_generate(project: Project) -> None:
    process = start(project, "generate", "--out", "big.log", "--lines", "100000000")
    deadline = time.monotonic() + 60
    while not (project.workdir / "big.log").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (project.workdir / "big.log").exists(), "generate did not start writing in 60 s"
    code, stdout, stderr = interrupted(process, after=0.5)
    no_traceback(stdout, stderr)
    assert (code, stderr) == (INTERRUPTED, "weblogs: interrupted\n")


@pytest.mark.e2e
def test_ctrl_c_during_build(project: Project) -> None:
    """The build runs dbt in this process, on the embedded engine: dbt cancels and says so,
    and the command ends in one line (the engine's own Ctrl-C handler once hung it here)."""
    process = start(project, "build")
    # A model's start, not a hook's: a Ctrl-C between the start hooks and the first node
    # stops dbt before it has a node to cancel, so it never says it was interrupted.
    code, stdout, stderr = interrupted(process, after_line=" START sql ", after=0.5)
    no_traceback(stdout, stderr)
    assert (code, stderr) == (INTERRUPTED, "weblogs: interrupted\n")
    assert "Exited because of keyboard interrupt" in stdout


@pytest.mark.e2e
def test_a_second_ctrl_c_stops_a_run_now_and_cleanly(project: Project) -> None:
    """The first Ctrl-C lets the build of the batch finish; the second stops the dbt child
    as a terminal would, so it exits without a traceback or leaked semaphores."""
    from weblogs.generate import write_log

    write_log(project.workdir / "landing" / "default" / "access.log", 2_000, seed=3)
    process = start(project, "run", "--settle-seconds", "0")
    seen = []
    for line in process.stdout:
        seen.append(line)
        if " START " in line:
            break
    process.send_signal(signal.SIGINT)
    # The first Ctrl-C lets the build go on: a table is committed after it (the output may
    # still hold lines written before it, which prove nothing). The build has many tables
    # left to commit, so it is still running then.
    before = commits(project.warehouse)
    deadline = time.monotonic() + 600
    while not commits(project.warehouse) - before:
        assert process.poll() is None, "the first Ctrl-C stopped the build"
        assert time.monotonic() < deadline, "the build committed nothing in 600 s"
        time.sleep(0.05)
    assert process.poll() is None, "the build ended before the second Ctrl-C"
    code, stdout, stderr = interrupted(process)
    no_traceback("".join(seen), stdout, stderr)
    assert (code, stderr) == (INTERRUPTED, "weblogs: interrupted\n")
    assert "Exited because of keyboard interrupt" in stdout


def first_line(stream: IO[str], within_seconds: float) -> str:
    """The stream's first line, or "" if none came in time (a guard, not a timing)."""
    lines = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(within_seconds)
    return lines[0] if lines else ""


def commits(warehouse: Path) -> set[Path]:
    """The commit files of every Delta table in the warehouse."""
    return set(warehouse.glob("*/*/_delta_log/*.json"))


HOLDER = """
import sys
from pathlib import Path
from weblogs.file_lock import run_lock
with run_lock(Path(sys.argv[1]), wait=False):
    print("holding", flush=True)
    sys.stdin.read()  # until told to let go: its stdin closed
"""


@contextmanager
def held_elsewhere(warehouse: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the warehouse's lock, as a `weblogs run` does, until the
    block ends (or the holder's stdin is closed)."""
    warehouse.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "holding\n"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=120)


@pytest.mark.parametrize("args", [["compact"], ["build", "--bogus"]])
def test_a_held_warehouse_says_who_holds_it_and_waits(project: Project, args: list[str]) -> None:
    with held_elsewhere(project.warehouse) as holder:
        waiting = start(project, *args)
        try:
            # Its first line says whom it waits for; it must then wait, however long.
            first = first_line(waiting.stderr, within_seconds=600)
            assert waiting.poll() is None, "it waited for the holder"
        except BaseException:
            waiting.kill()
            raise
        finally:
            holder.stdin.close()  # the holder lets go
        stdout, stderr = waiting.communicate(timeout=600)
    lines = [first, *stderr.splitlines()]
    assert lines[0].startswith(f"weblogs {args[0]}: the warehouse {project.warehouse} is held by ")
    assert f"weblogs run (pid {holder.pid}) since " in lines[0]
    assert lines[0].rstrip("\n").endswith("; waiting until it is free")
    # Then it ran: compact finds nothing to do, build reaches dbt (which refuses --bogus).
    if args == ["compact"]:
        assert (waiting.returncode, stdout) == (0, "no Delta table to compact\n")
    else:
        assert waiting.returncode == 2 and "No such option '--bogus'" in lines[1]
    assert not os.path.exists(f"/proc/{holder.pid}")


def test_a_busy_warehouse_without_wait_names_the_holder(project: Project) -> None:
    (project.workdir / "landing").mkdir()
    with held_elsewhere(project.warehouse) as holder:
        result = project.weblogs("run", check=False)
    assert result.returncode == 2
    assert f"busy: weblogs run (pid {holder.pid}) since " in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_the_lock_names_the_command_that_holds_it(project: Project) -> None:
    """A build holding the warehouse is named as a build, not as a run."""
    from weblogs.file_lock import hold, holder

    with hold(project.warehouse, "build"):
        assert holder(project.warehouse).startswith(f"weblogs build (pid {os.getpid()}) since ")


@pytest.mark.e2e
@pytest.mark.parametrize("lines_per_build", ["0", "1500"])
def test_a_build_read_through_head_ends_quietly(
    project: Project, tmp_path: Path, lines_per_build: str
) -> None:
    """`weblogs build | head -1`, in one dbt build and in slices: no traceback for each line
    dbt could not print (there were thousands), and a build that ends where it can."""
    from weblogs.bronze.delta import DeltaBronze
    from weblogs.generate import write_log

    log = write_log(tmp_path / "access.log", 4_000, seed=3)
    project.weblogs("ingest", str(log), "--max-bytes-per-batch", "200kB")
    landed = DeltaBronze(project.warehouse, "weblogs_raw").committed_batch_id()
    assert landed >= 3
    process = start(project, "build", "--lines-per-build", lines_per_build)
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    assert (process.wait(timeout=600), stderr) == (PIPE_CLOSED, ""), first
    state = json.loads((project.warehouse / "_catalog" / "run_state.json").read_text())
    if lines_per_build == "0":
        assert state["built_through_batch"] == landed  # the one build went on to its end
    else:
        assert first.startswith("build 1 of ")  # the slices stop after the first
        assert 1 <= state["built_through_batch"] < landed


def test_a_ctrl_c_after_the_command_ended_changes_nothing() -> None:
    """A Ctrl-C landing while the finished command runs Python's exit handlers (dbt's locks,
    logging): the command's exit code, and nothing on stderr."""
    code = (
        "import atexit, os, signal\n"
        "from weblogs.cli.process import leave\n"
        "atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))\n"
        "leave(0)\n"
    )
    ended = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (ended.returncode, ended.stderr) == (0, "")
