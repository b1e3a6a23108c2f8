"""A full disk during `dbt build`: one clear error (the models that could not be written,
naming "No space left on device"), and once there is room again, a retry or the next build
completes the build and `weblogs status` says the warehouse is up to date."""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_faults import BUILD_VARS, copy_project, mounted, warehouse_state

from conftest import BIN_DIR, Project
from weblogs.errors import without_native_panic_reports
from weblogs.generate import write_log

# What a full disk printed besides the models' errors: a Rust panic's report from a worker
# thread, dbt's account of an interrupt nobody made, and the on-run-end hook's failure to
# write the run log reported as a compilation error.
NOISE = ("panicked", "stack backtrace", "Exited because of keyboard interrupt", "Compilation Error")
# dbt's log line once the merge of the new batch is written.
MERGED = "created sql incremental model weblogs.int_access_requests_deduplicated"


def models_line(project: Project) -> str:
    status = project.weblogs("status").stdout
    return next(line for line in status.splitlines() if line.startswith("models built"))


def statuses(project: Project) -> dict[str, str]:
    return {result["unique_id"]: result["status"] for result in project.run_results()}


def fill(folder: Path) -> Path:
    """Write zeros into `folder` until its file system is full; the file written."""
    filler = folder / "filler"
    block = bytes(1 << 20)
    with filler.open("wb", buffering=0) as raw:
        try:
            while True:
                raw.write(block)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return filler


def log_says(project: Project, text: str, build: subprocess.Popen) -> None:
    """Wait until dbt's log of the running build holds `text`."""
    log = project.workdir / "logs" / "dbt.log"
    deadline = time.monotonic() + 600
    while not (log.exists() and text in log.read_text(errors="replace")):
        assert build.poll() is None, f"the build ended before its log said {text!r}"
        assert time.monotonic() < deadline, f"its log did not say {text!r} within 600 s"
        time.sleep(0.1)


@dataclass
class Warehouses:
    source: Project  # built through batch 1, batch 2 landed
    expected: dict[str, str]  # the tables once batch 2 is built


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Warehouses:
    root = tmp_path_factory.mktemp("full-disk")
    source = Project(warehouse=root / "source" / "warehouse", workdir=root / "source")
    source.workdir.mkdir(parents=True)
    source.weblogs("ingest", str(write_log(root / "logs" / "access.log.1", 4_000, seed=11)))
    source.dbt("build", "--vars", BUILD_VARS)
    source.weblogs("ingest", str(write_log(root / "logs" / "access.log", 4_000, seed=12)))
    reference = copy_project(source, root / "reference")
    reference.dbt("build", "--vars", BUILD_VARS)
    return Warehouses(source, warehouse_state(reference.warehouse))


@contextmanager
def on_a_disk_of_its_own(warehouses: Warehouses, tmp_path: Path) -> Iterator[tuple[Project, Path]]:
    """A copy of the source warehouse on a file system of its own (dbt's log and artifacts
    are elsewhere: on a full disk, dbt's own logging fails in tracebacks of its own)."""
    disk = tmp_path / "disk"
    with mounted(disk, "-t", "tmpfs", "-o", "size=256m", "tmpfs"):
        warehouse = copy_project(warehouses.source, disk).warehouse
        project = Project(warehouse=warehouse, workdir=tmp_path / "work")
        project.workdir.mkdir()
        yield project, disk


def start_build(project: Project) -> subprocess.Popen:
    # One thread: the nodes run in one order, so the disk fills after the same ones.
    return subprocess.Popen(
        [str(BIN_DIR / "dbt"), "build", "--threads", "1", "--vars", BUILD_VARS],
        cwd=project.workdir, env=project.env(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def finished_with_errors(build: subprocess.Popen) -> str:
    output = build.communicate(timeout=600)[0]
    assert build.returncode == 1, output[-3000:]
    assert "No space left on device" in output
    assert [noise for noise in NOISE if noise in output] == [], output[-3000:]
    return output


@pytest.mark.e2e
def test_a_disk_full_to_the_end_fails_in_one_clear_error_and_the_next_build_recovers(
    warehouses: Warehouses, tmp_path: Path
) -> None:
    """Full from the merge to the end of the build: its run log and build state cannot be
    written either, and say so in a line each. Without a record of what the failed build
    made, a retry cannot count it: status stays behind until the next build."""
    with on_a_disk_of_its_own(warehouses, tmp_path) as (full, disk):
        build = start_build(full)
        log_says(full, MERGED, build)
        filler = fill(disk)
        output = finished_with_errors(build)
        assert "the run log of this invocation was not written: " in output
        assert "the build state was not recorded (" in output
        assert models_line(full).endswith("through batch 1 (1 batch(es) behind bronze)")

        # Landing more on the full disk: the ingest's one-line error, no panic report.
        more = write_log(tmp_path / "more.log", 20_000, seed=13)
        ingest = full.weblogs("ingest", str(more), check=False)
        assert ingest.returncode == 1
        assert "No space left on device" in ingest.stderr
        assert [noise for noise in NOISE if noise in ingest.stderr] == [], ingest.stderr

        filler.unlink()
        full.dbt("retry")
        assert models_line(full).endswith("through batch 1 (1 batch(es) behind bronze)")
        full.weblogs("build", "--vars", BUILD_VARS)
        assert models_line(full).endswith("through batch 2 (up to date)")
        assert warehouse_state(full.warehouse) == warehouses.expected


@pytest.mark.e2e
def test_a_retry_after_space_came_back_completes_the_failed_build(
    warehouses: Warehouses, tmp_path: Path
) -> None:
    """Full from the merge until a model fails (as when the failed writes give their space
    back): the failed build records its state, and `dbt retry` completes it. The two count
    as one build, so status is up to date after the retry, not one batch behind."""
    with on_a_disk_of_its_own(warehouses, tmp_path) as (full, disk):
        build = start_build(full)
        log_says(full, MERGED, build)
        filler = fill(disk)
        log_says(full, "No space left on device", build)
        filler.unlink()
        finished_with_errors(build)
        assert models_line(full).endswith("through batch 1 (1 batch(es) behind bronze)")
        built = statuses(full)
        assert built["model.weblogs.int_access_requests_deduplicated"] == "success"

        full.dbt("retry")
        assert models_line(full).endswith("through batch 2 (up to date)")
        assert warehouse_state(full.warehouse) == warehouses.expected


PANIC_REPORT = (
    "\nthread 'tokio-rt-worker' (16794) panicked at /cargo/object_store-0.13.2/src/buffered.rs"
    ":369:41:\nAlready shut down\nstack backtrace:\nnote: Some details are omitted, run with "
    "`RUST_BACKTRACE=full` for a verbose backtrace.\n"
)


def test_a_failed_native_write_keeps_its_panic_report_off_stderr(capfd) -> None:
    """What a native call prints on stderr (fd 2, not Python's sys.stderr) is held back: on
    failure, its panic reports are dropped and the rest printed; on success, all of it."""
    with pytest.raises(OSError, match="No space left"), without_native_panic_reports():
        os.write(2, f"before{PANIC_REPORT}after\n".encode())
        raise OSError(errno.ENOSPC, "No space left on device")
    assert capfd.readouterr().err == "before\nafter\n"
    with without_native_panic_reports():
        os.write(2, f"kept{PANIC_REPORT}".encode())
    assert capfd.readouterr().err == f"kept{PANIC_REPORT}"
