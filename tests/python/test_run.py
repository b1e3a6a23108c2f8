"""`weblogs run`: micro-batches, triggers, sites, the run lock, status and compaction."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError
from jvm_processes import children, command_line, still_running
from test_pipeline import LOW_COVERAGE, count, scalar_rows

from conftest import BIN_DIR, Project
from weblogs.bronze.delta import raw_table_path
from weblogs.build.state import built_through
from weblogs.cli.dbt import UNIT_TESTS_LEFT_OUT
from weblogs.cli.dbt_child import UNIT_TESTED
from weblogs.file_lock import RunLockedError, run_lock
from weblogs.generate import write_log
from weblogs.ingest.micro_batches import ingest
from weblogs.ingest.offers import Limits
from weblogs.runner import parse_duration

# Business columns of the requests: everything but the batch that brought them.
REQUEST_COLUMNS = (
    "request_id, site, client_host, http_method, endpoint, protocol, response_code, "
    "content_size_bytes, event_at, source_file, line_number, line_occurrence"
)


def requests(project: Project) -> list[dict]:
    return scalar_rows(
        project,
        f"select {REQUEST_COLUMNS} from weblogs.int_access_requests_deduplicated "
        "order by request_id",
    )


def table_rows(project: Project, table: str) -> list[dict]:
    return scalar_rows(project, f"select * from {table} order by to_json(struct(*))")


def built(project: Project, file_name: str) -> bool:
    """Whether requests of the file are in the merged table (read without the engine)."""
    location = project.warehouse / "weblogs" / "int_access_requests_deduplicated"
    try:
        sources = DeltaTable(str(location)).to_pyarrow_table(columns=["source_file"])
    except TableNotFoundError:
        return False
    return any(source.endswith(file_name) for source in sources.column(0).unique().to_pylist())


def landing_with_sites(root: Path) -> Path:
    """Two sites: `shop` with three generated logs (one gzipped), `blog` with garbage and a
    truncated archive."""
    landing = root / "landing"
    for index in range(3):
        log = write_log(landing / "shop" / f"access-{index}.log", 1_500, seed=index)
        if index == 2:
            log.with_suffix(".log.gz").write_bytes(gzip.compress(log.read_bytes()))
            log.unlink()
    blog = landing / "blog"
    blog.mkdir(parents=True)
    (blog / "access.log").write_text(
        '10.1.1.1 - - [02/Aug/1995:10:00:00 -0400] "GET /post HTTP/1.0" 200 5000\n'
        "\x00\x01 binary junk\n"
        "not a log line at all\n"
    )
    whole = gzip.compress(b"".join(b"partial %d\n" % n for n in range(50_000)))
    (blog / "old.log.gz").write_bytes(whole[: len(whole) // 3])
    return landing


@pytest.mark.e2e
def test_run_once_drains_in_micro_batches_like_one_big_batch(
    project: Project, tmp_path: Path
) -> None:
    landing = landing_with_sites(tmp_path)

    drained = project.weblogs(
        "run", "--landing", str(landing), "--max-files-per-batch", "2", "--settle-seconds", "0",
        "--vars", LOW_COVERAGE, check=False,
    )  # fmt: skip
    assert drained.returncode == 0, drained.stdout + drained.stderr
    batches = int(drained.stdout.split(" batch(es)")[0].rsplit(", ", 1)[1])
    assert batches >= 3
    assert "old.log.gz" in drained.stdout  # the truncated archive is reported
    micro = {
        "requests": requests(project),
        "network_filter": table_rows(project, "weblogs.network_filter"),
        "requests_by_status": table_rows(project, "weblogs.requests_by_status"),
    }
    quarantine = scalar_rows(
        project,
        "select site, quarantine_reason, count(*) as n from weblogs.access_log_quarantine "
        "group by site, quarantine_reason order by site, quarantine_reason",
    )
    # The blog's bad lines (and the complete lines of its truncated archive) are quarantined
    # under its name; its one request and all of the shop's data went through.
    blog_lines = scalar_rows(
        project, "select count(*) as n from weblogs_raw.access_log_lines where site = 'blog'"
    )[0]["n"]
    assert blog_lines > 3
    blog_quarantine = {
        row["quarantine_reason"]: row["n"] for row in quarantine if row["site"] == "blog"
    }
    assert blog_quarantine == {
        "contains_control_character_u0001": 1,
        "missing_client_fields": blog_lines - 2,
    }
    sites = scalar_rows(
        project,
        "select site, count(*) as n from weblogs.int_access_requests_deduplicated "
        "group by site order by site",
    )
    assert sites[0] == {"site": "blog", "n": 1} and sites[1]["site"] == "shop"

    # The same files in one batch, one build: the same tables.
    one = Project(warehouse=tmp_path / "one-batch", workdir=tmp_path / "one-work")
    one.workdir.mkdir()
    for site in ("shop", "blog"):
        # Exit status 1: the truncated archive is a problem to report (its lines land).
        one.weblogs("ingest", str(landing / site), "--site", site, "--settle-seconds", "0",
                    check=site == "shop")  # fmt: skip
    one.dbt("build", "--vars", LOW_COVERAGE)
    assert micro == {
        "requests": requests(one),
        "network_filter": table_rows(one, "weblogs.network_filter"),
        "requests_by_status": table_rows(one, "weblogs.requests_by_status"),
    }

    # Nothing new: no batch, no build.
    idle = project.weblogs("run", "--landing", str(landing), "--vars", LOW_COVERAGE)
    assert "0 batch(es)" in idle.stdout and "0 build(s)" in idle.stdout

    status = project.weblogs("status", "--landing", str(landing)).stdout
    assert f"last batch     {batches} at" in status
    assert f"through batch {batches} (up to date)" in status
    assert "nothing in" in status  # nothing pending
    assert "1 damaged" in status

    # Compaction: fewer files, the same rows, and the models still build on top of it.
    bronze = raw_table_path(project.warehouse, "weblogs_raw")
    files_before = len(DeltaTable(str(bronze)).file_uris())
    lines_before = count(project, "weblogs_raw.access_log_lines")
    compacted = project.weblogs("compact", "--retain-hours", "0").stdout
    assert "weblogs_raw.access_log_lines" in compacted
    assert len(DeltaTable(str(bronze)).file_uris()) == 1 < files_before
    assert count(project, "weblogs_raw.access_log_lines") == lines_before
    project.dbt("build", "--vars", LOW_COVERAGE)
    assert requests(project) == micro["requests"]


@pytest.mark.e2e
def test_run_catches_up_after_a_stop_between_landing_and_building(
    project: Project, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    write_log(landing / "access.log", 500, seed=3)
    # Landed, never built (as if the run had been killed before its build).
    project.weblogs("ingest", str(landing), "--settle-seconds", "0")
    (landing / "access.log").unlink()
    caught_up = project.weblogs("run", "--landing", str(landing), "--vars", LOW_COVERAGE)
    assert "models are behind bronze (batch 1): building" in caught_up.stdout
    assert count(project, "weblogs.int_access_requests_deduplicated") > 0


@pytest.mark.e2e
def test_run_every_and_watch_pick_up_new_files_and_stop_on_sigterm(
    project: Project, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    for seed, trigger in ((11, ["--every", "1s"]), (13, ["--watch"])):
        process = start_run(project, landing, *trigger)
        try:
            name = f"arrived-{trigger[0].strip('-')}.log"
            time.sleep(3)  # the trigger is armed
            # A resident dbt child waits for the builds, started ahead.
            waiting = spare_children(process.pid)
            through = built_through(project.warehouse)
            write_log(landing / name, 300, seed=seed)
            deadline = time.monotonic() + 240
            while not built(project, name) or built_through(project.warehouse) == through:
                if time.monotonic() > deadline:
                    process.kill()
                    output = process.communicate()[0]
                    pytest.fail(f"{trigger}: {name} was not built within 240 s\n{output}")
                time.sleep(1)
            # That child built it (its build recorded in its last step) and stays for the
            # next build: no other was started.
            assert len(waiting) == 1, waiting
            assert_still_the_only_child(process.pid, waiting[0])
            left_behind = waiting
        except Exception:
            process.kill()
            raise
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output
        assert "stopped by SIGTERM" in output
        assert not any(still_running(pid, grace_seconds=0) for pid in left_behind)


def assert_still_the_only_child(pid: int, child: int, settle_seconds: float = 5) -> None:
    """`child` is the one dbt child of `weblogs run` `pid`, still waiting after its build's
    data tests, which run after the tables are written."""
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline:
        assert spare_children(pid, wait_seconds=0) == [child]
        time.sleep(0.5)


def spare_children(pid: int, wait_seconds: float = 30) -> list[int]:
    """The dbt children of a `weblogs run` that wait for a build (waiting for one to be
    started for up to wait_seconds)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        found = [
            child
            for child in children(pid)
            if "weblogs.cli.dbt_child --warm-up" in command_line(child)
            and still_running(child, grace_seconds=0)
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.e2e
def test_the_waiting_dbt_child_ends_with_a_killed_run(project: Project, tmp_path: Path) -> None:
    """A run killed outright cannot end its waiting dbt child: the child ends by itself
    when its input closes, instead of waiting for ever."""
    landing = tmp_path / "landing"
    landing.mkdir()
    process = subprocess.Popen(
        [str(BIN_DIR / "weblogs"), "run", "--landing", str(landing), "--every", "1h"],
        cwd=project.workdir, env=project.env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        waiting = spare_children(process.pid)
    finally:
        process.kill()
        process.wait()
    assert len(waiting) == 1
    assert not still_running(waiting[0], grace_seconds=30)


@pytest.mark.e2e
def test_builds_after_a_long_wait_find_an_engine_session(project: Project, tmp_path: Path) -> None:
    """The engine removes a session left idle (after 30 days here, 5 s in this test; a
    statement of the build taking longer would trip it too): the resident dbt child opens
    none before its first build starts, and finds the one of its last build removed after
    a long wait and opens another."""
    landing = tmp_path / "landing"
    landing.mkdir()
    process = start_run(project, landing, "--every", "1s", SAIL_SPARK__SESSION_TIMEOUT_SECS="5")
    try:
        resident = spare_children(process.pid)
        for name in ("late.log", "later.log"):
            time.sleep(12)  # the child has warmed up or built, and waited past the idle limit
            land_and_wait_for_its_build(project, process, landing / name, len(name), 180)
            assert built(project, name)
        assert spare_children(process.pid, wait_seconds=0) == resident
    finally:
        output = stop_run(process)
    assert process.returncode == 0, output
    assert "failed" not in output
    assert output.count("built through batch") == 2, output


@pytest.mark.e2e
def test_builds_run_on_the_parse_made_while_waiting_until_the_project_changes(
    project_copy: Project, tmp_path: Path
) -> None:
    """The resident dbt child parses the project while it waits for the first build: its
    builds do not parse again. A model added while it waits is seen, said, parsed once
    and built, by the same child. The unit tests run in the first build on each parse."""
    project = project_copy
    landing = tmp_path / "landing"
    landing.mkdir()
    # Written by `dbt parse` alone, not by a build (which writes the manifest again).
    parse_timing = project.workdir / "target" / "perf_info.json"

    def parsed_at() -> int:
        return parse_timing.stat().st_mtime_ns if parse_timing.exists() else 0

    before = parsed_at()
    process = start_run(project, landing, "--every", "1s")
    try:
        resident = spare_children(process.pid)
        wait_until(lambda: parsed_at() != before, process, "a parse ahead")
        parse = parsed_at()
        for seed, name in enumerate(("first.log", "second.log")):
            write_log(landing / name, 300, seed=19 + seed)
            wait_until(lambda name=name: built(project, name), process, f"{name} built")
        assert "partial parsing" not in project.dbt_log().lower()
        assert parsed_at() == parse
        probe = project.project_dir / "models" / "marts" / "parse_probe.sql"
        probe.write_text("select 1 as probe\n")
        write_log(landing / "third.log", 300, seed=23)
        probe_table = project.warehouse / "weblogs" / "parse_probe" / "_delta_log"
        wait_until(lambda: built(project, "third.log"), process, "third.log built")
        wait_until(probe_table.is_dir, process, "the added model built")
        assert parsed_at() != parse
        assert spare_children(process.pid, wait_seconds=0) == resident
    finally:
        output = stop_run(process)
    assert process.returncode == 0, output
    assert output.count("the project changed while its build waited: dbt parses it again") == 1
    builds = output.split("Running with dbt=")[1:]
    assert ["START unit_test " in build for build in builds] == [True, False, True], output
    assert output.count(UNIT_TESTED) == 2


@pytest.mark.e2e
def test_a_run_after_a_build_that_passed_the_unit_tests_leaves_them_out(
    project: Project, tmp_path: Path
) -> None:
    """The warehouse records that the unit tests passed with the project as it is: the first
    build of a run after `weblogs build` leaves them out, and says why."""
    project.weblogs("ingest", str(write_log(tmp_path / "first.log", 300, seed=29)))
    assert "START unit_test " in project.weblogs("build", "--vars", LOW_COVERAGE).stdout
    landing = tmp_path / "landing"
    landing.mkdir()
    process = start_run(project, landing, "--every", "1s")
    try:
        write_log(landing / "second.log", 300, seed=31)
        wait_until(lambda: built(project, "second.log"), process, "second.log built")
    finally:
        output = stop_run(process)
    assert process.returncode == 0, output
    assert UNIT_TESTS_LEFT_OUT in output
    assert "START unit_test " not in output
    assert "Done. PASS=" in output


PICKLED_PARSE = """
import json, pickle
from dbt.cli.main import dbtRunner
from weblogs.cli.dbt import dbt_environment
from weblogs.cli.dbt_child import pickled
from weblogs.layout import warehouse_path

dbt_environment(warehouse_path())
manifest = dbtRunner().invoke(["parse", "--log-level", "none"]).result
# Built, as a build builds them: a copy must not carry them over into other fields.
lookups = manifest.ref_lookup, manifest.source_lookup
copy = pickle.loads(pickled(manifest))
print(json.dumps({
    "model": copy.ref_lookup.find("network_filter", None, None, copy).unique_id,
    "source": copy.source_lookup.find("apache_logs.access_log_lines", None, copy).unique_id,
    "same_nodes": sorted(copy.nodes) == sorted(manifest.nodes),
    "same_fixtures": copy.fixtures == manifest.fixtures,
    "same_unit_tests": sorted(copy.unit_tests) == sorted(manifest.unit_tests),
}))
"""


def test_the_parse_a_resident_child_keeps_is_copied_whole_for_each_build(
    project: Project,
) -> None:
    """The resident child keeps its parse pickled and builds on a copy each time (dbt writes
    into the manifest it builds on). dbt's own pickling of its Manifest skips `fixtures`
    and shifts each field after it by one: a build on such a copy failed."""
    result = subprocess.run(
        [sys.executable, "-c", PICKLED_PARSE], cwd=project.workdir, env=project.env(),
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "model": "model.weblogs.network_filter",
        "source": "source.weblogs.apache_logs.access_log_lines",
        "same_nodes": True,
        "same_fixtures": True,
        "same_unit_tests": True,
    }


@pytest.mark.e2e
def test_a_resident_child_past_its_memory_limit_leaves_and_another_builds_next(
    project: Project, tmp_path: Path
) -> None:
    """Memory stays bounded over a long run: a resident child whose memory passed
    $WEBLOGS_RESIDENT_MAX_MIB after a build (1 MiB here: after every build) leaves, and the
    next build is another's. One dbt child at a time, each gone after its build."""
    landing = tmp_path / "landing"
    landing.mkdir()
    process = start_run(project, landing, "--every", "1s", WEBLOGS_RESIDENT_MAX_MIB="1")
    builders: list[int] = []
    try:
        for seed, name in enumerate(("one.log", "two.log", "three.log")):
            waiting = spare_children(process.pid)
            assert len(waiting) == 1 and waiting[0] not in builders, (waiting, builders)
            builders.append(waiting[0])
            land_and_wait_for_its_build(project, process, landing / name, 41 + seed)
            assert not still_running(builders[-1], grace_seconds=60)
    finally:
        output = stop_run(process)
    assert process.returncode == 0, output
    assert output.count("built through batch") == 3, output
    assert "failed" not in output


@pytest.mark.e2e
def test_the_next_child_starts_with_its_session_beside_the_last_build_of_the_one_before(
    project: Project, tmp_path: Path
) -> None:
    """A child that says its next build is its last (its second, by
    $WEBLOGS_RESIDENT_MAX_BUILDS here) has the next child started beside that build, with
    its engine's session open; the next child then builds on that session, caught up with
    what the build beside it wrote."""
    landing = tmp_path / "landing"
    landing.mkdir()
    process = start_run(project, landing, "--every", "1s", WEBLOGS_RESIDENT_MAX_BUILDS="2")
    try:
        (first,) = spare_children(process.pid)
        for seed, name in enumerate(("one.log", "two.log", "three.log")):
            land_and_wait_for_its_build(project, process, landing / name, 51 + seed)
            if name == "one.log":
                # After the first child's first build, the next starts beside its second.
                wait_until(
                    lambda: len(spare_children(process.pid, wait_seconds=0)) == 2,
                    process, "the next child",
                )  # fmt: skip
                (second,) = set(spare_children(process.pid)) - {first}
                assert "--open-session" in command_line(second)
                assert "--open-session" not in command_line(first)
            if name == "two.log":
                assert not still_running(first, grace_seconds=60)
        # three.log was the second child's first build; it too says its next is its last.
        assert second not in (first,) and still_running(second, grace_seconds=0)
    finally:
        output = stop_run(process)
    assert process.returncode == 0, output
    assert output.count("built through batch") == 3, output
    assert "failed" not in output
    assert count(project, "stg_apache_logs__lines") == 900


@pytest.mark.e2e
def test_a_resident_child_leaves_after_a_failed_build_and_another_builds_next(
    project: Project, tmp_path: Path
) -> None:
    """A build that failed (here a batch of lines that are all quarantined fails the drift
    monitors) ends its resident child; the next build is another child's, which then
    stays."""
    landing = tmp_path / "landing"
    landing.mkdir()
    process = start_run(
        project, landing, "--watch", dbt_vars="{status_code_coverage_threshold: 0.5}"
    )
    try:
        (first,) = spare_children(process.pid)
        (landing / "garbage.log").write_text("not a log line\n" * 5)
        wait_until(lambda: not still_running(first, grace_seconds=0), process, "a failed build")
        through = built_through(project.warehouse)
        # Judged with the 5 lines before it, 300 good ones pass: the build catches up.
        write_log(landing / "good.log", 300, seed=43)
        wait_until(lambda: built_through(project.warehouse) > through, process, "good.log built")
        (last,) = spare_children(process.pid)
        assert last != first
        assert_still_the_only_child(process.pid, last)
    finally:
        output = stop_run(process)
    assert process.returncode == 1, output
    assert "build after batch 1 failed; the next cycle builds again" in output
    assert "built through batch 2" in output


def start_run(
    project: Project, landing: Path, *trigger: str, dbt_vars: str = LOW_COVERAGE, **env: str
) -> subprocess.Popen:
    """`weblogs run` on `landing` under `trigger`, its output piped, with `env` added."""
    return subprocess.Popen(
        [str(BIN_DIR / "weblogs"), "run", "--landing", str(landing), *trigger,
         "--settle-seconds", "0", "--vars", dbt_vars],
        cwd=project.workdir, env={**project.env(), **env}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def stop_run(process: subprocess.Popen) -> str:
    """Stop a `weblogs run` started by start_run as SIGTERM does, and its output."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=120)[0]


def wait_until(
    done: Callable[[], bool], process: subprocess.Popen, what: str, seconds: float = 240
) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {seconds:.0f} s\n{process.communicate()[0]}")
        time.sleep(0.5)


def land_and_wait_for_its_build(
    project: Project, process: subprocess.Popen, log: Path, seed: int, seconds: float = 240
) -> None:
    """Write 300 generated lines to `log` in a running `weblogs run`'s landing folder and
    wait until a build has taken in a later batch than before."""
    through = built_through(project.warehouse)
    write_log(log, 300, seed=seed)
    wait_until(
        lambda: built_through(project.warehouse) > through, process, f"{log.name} built", seconds
    )


def test_a_second_run_refuses_while_the_first_holds_the_warehouse(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    with run_lock(warehouse, wait=False):
        busy = pytest.raises(RunLockedError, match=r"busy: weblogs run \(pid \d+\) since")
        with busy, run_lock(warehouse, wait=False):
            pass
        second = subprocess.run(
            [str(BIN_DIR / "weblogs"), "--warehouse", str(warehouse), "run",
             "--landing", str(tmp_path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert second.returncode == 2
    assert "is busy" in second.stderr and "--wait" in second.stderr
    # Released: the next one gets it.
    with run_lock(warehouse, wait=False):
        pass


def test_parse_duration() -> None:
    assert [parse_duration(text) for text in ("45", "30s", "5m", "1.5h")] == [45, 30, 300, 5400]
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")


def test_compaction_of_100_micro_batches_keeps_rows_and_leaves_one_file(tmp_path: Path) -> None:
    from weblogs.compaction import compact_warehouse

    warehouse = tmp_path / "warehouse"
    logs = tmp_path / "logs"
    logs.mkdir()
    for batch in range(100):
        (logs / f"{batch}.log").write_text("".join(f"b{batch} l{n}\n" for n in range(20)))
    ingest([logs], warehouse, "weblogs_raw", limits=Limits(max_files=1))
    bronze = raw_table_path(warehouse, "weblogs_raw")
    before = DeltaTable(str(bronze)).to_pyarrow_table().sort_by("line").to_pylist()
    assert len(DeltaTable(str(bronze)).file_uris()) == 100
    (result,) = [
        table
        for table in compact_warehouse(warehouse, retain_hours=0)
        if table.table == "weblogs_raw.access_log_lines"
    ]
    assert (result.files_before, result.files_after) == (100, 1)
    assert (result.files_on_disk_before, result.files_on_disk_after) == (100, 1)
    after = DeltaTable(str(bronze)).to_pyarrow_table().sort_by("line").to_pylist()
    assert after == before and len(after) == 2000


def test_watch_does_not_wait_for_a_steady_writer_to_pause(tmp_path: Path) -> None:
    """A live log written every 0.3 s never goes quiet for the 1 s a burst is given: the
    watch trigger still starts a cycle while the writer goes on (waiting for a pause, it
    would start none until its rescan a minute later)."""
    from weblogs.runner import Runner

    landing = tmp_path / "landing"
    (landing / "live").mkdir(parents=True)
    runner = Runner(
        landing=landing, warehouse=tmp_path / "warehouse", raw_schema="weblogs_raw",
        build=lambda: True, build_records_state=False, say=lambda text: None,
    )  # fmt: skip
    cycles_done = threading.Semaphore(0)
    cycle = runner.cycle

    def counted_cycle():
        result = cycle()
        cycles_done.release()
        return result

    runner.cycle = counted_cycle
    watching = threading.Thread(target=runner.run_watch, kwargs={"max_cycles": 2})
    watching.start()
    # The first cycle (nothing there) has run: the observer, started before it, is armed.
    assert cycles_done.acquire(timeout=120), "the first cycle did not end in 120 s"
    second_cycle_done = threading.Event()
    gave_up = threading.Event()

    def write_steadily() -> None:
        # Until the second cycle has run; 50 s is only a guard, short of the minute after
        # which the watch rescans whatever the writer does.
        stop_at = time.monotonic() + 50
        with open(landing / "live" / "access.log", "a") as log:
            while not second_cycle_done.is_set():
                if time.monotonic() > stop_at:
                    gave_up.set()
                    return
                log.write('10.0.0.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 512\n')
                log.flush()
                time.sleep(0.3)

    writer = threading.Thread(target=write_steadily)
    writer.start()
    ended = cycles_done.acquire(timeout=120)
    second_cycle_done.set()
    writer.join()
    runner.stop.event.set()
    watching.join(timeout=120)
    assert ended and not watching.is_alive(), "the second cycle did not end in 120 s"
    assert not gave_up.is_set(), "the watch waited for the writer to pause"
    assert runner.report.cycles == 2 and runner.report.lines > 0


def watched_log_runner(tmp_path: Path, said: list[str], **settings) -> tuple[object, Path]:
    """A Runner on a landing folder with one live log holding a line, builds as stubs."""
    from weblogs.runner import Runner

    landing = tmp_path / "landing"
    log = landing / "live" / "access.log"
    log.parent.mkdir(parents=True)
    log.write_text(LIVE_LINE)
    runner = Runner(
        landing=landing, warehouse=tmp_path / "warehouse", raw_schema="weblogs_raw",
        build=lambda: True, build_records_state=False, say=said.append,
        limits=Limits(settle_seconds=0), **settings,
    )  # fmt: skip
    return runner, log


LIVE_LINE = '10.0.0.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 512\n'


def watch_for(runner, cycles: int, said: list[str]) -> None:
    watching = threading.Thread(target=runner.run_watch, kwargs={"max_cycles": cycles})
    watching.start()
    watching.join(timeout=120)
    if watching.is_alive():
        runner.stop.event.set()
        watching.join(timeout=60)
        pytest.fail(f"{cycles} cycles did not end in 120 s: {said}")


def test_watch_lands_at_once_what_was_written_during_a_cycle(tmp_path: Path) -> None:
    """Lines written while a cycle builds have waited a cycle already: the next cycle starts
    at once, without the settling given to a burst that arrives while the watch is idle."""
    said: list[str] = []
    runner, log = watched_log_runner(tmp_path, said)

    def build_while_the_log_grows() -> bool:
        if runner.report.builds == 0:
            with log.open("a") as growing:
                growing.write(LIVE_LINE)
            # Until the watch has seen the write, so the test does not race its observer.
            assert runner.files_changed.wait(60), "the watch saw no file event in 60 s"
        return True

    runner.build = build_while_the_log_grows
    watch_for(runner, 2, said)
    assert (runner.report.cycles, runner.report.lines, runner.report.builds) == (2, 2, 2), said
    assert not [text for text in said if "waiting for files" in text], said


def test_watch_builds_the_first_paths_while_lines_arrive_and_the_rest_when_they_pause(
    tmp_path: Path,
) -> None:
    """A file found by an idle run is built whole. While files keep arriving, a micro-batch
    builds the build_first paths alone; the whole project is built once none are waiting,
    through every batch landed."""
    said: list[str] = []
    builds: list[str] = []
    runner, log = watched_log_runner(tmp_path, said)

    def more_lines() -> None:
        with log.open("a") as growing:
            growing.write(LIVE_LINE)
        assert runner.files_changed.wait(60), "the watch saw no file event in 60 s"

    def first_paths(landed: tuple[int, ...]) -> bool:
        builds.append(f"first {landed[-1]}")
        if len(builds) == 2:
            more_lines()  # still coming: the rest waits
        return True

    def whole() -> bool:
        builds.append(f"whole {runner.bronze.committed_batch_id()}")
        if len(builds) == 1:
            more_lines()  # lines come while the first build runs
        else:
            runner.stop.event.set()
        return True

    runner.build_first, runner.build = first_paths, whole
    # (A late event of a write, its file's closing, may add a cycle that finds nothing.)
    watch_for(runner, 10, said)
    assert builds == ["whole 1", "first 2", "first 3", "whole 3"], said
    assert built_through(tmp_path / "warehouse") == 3
    assert runner.report.builds == 4 and runner.rest_behind_since is None
    assert any("the rest when files pause, within 30 s" in text for text in said), said


def test_the_rest_is_built_within_its_bound_and_when_the_run_stops(tmp_path: Path) -> None:
    """Under a writer that never pauses, the rest is built once `rest_within` has passed
    since the first build it waits behind; a run told to stop builds it before it ends."""
    said: list[str] = []
    builds: list[str] = []
    runner, log = watched_log_runner(tmp_path, said, rest_within=3.0)
    runner.lines_flowing = True  # as after a cycle that saw files written

    def first_paths(landed: tuple[int, ...]) -> bool:
        builds.append("first")
        if builds.count("first") == 1:
            time.sleep(3.1)  # past the bound before the cycle asks
        with log.open("a") as growing:
            growing.write(LIVE_LINE)
        assert runner.files_changed.wait(60), "the watch saw no file event in 60 s"
        if builds.count("first") == 3:
            runner.stop.event.set()
        return True

    runner.build_first = first_paths
    runner.build = lambda: builds.append("whole") or True
    watch_for(runner, 10, said)
    # The first cycle's rest is due by its bound; the second's is not; the third's, since
    # the run stops.
    assert builds == ["first", "whole", "first", "first", "whole"], said
    assert runner.report.cycles == 3
    assert built_through(tmp_path / "warehouse") == runner.bronze.committed_batch_id() == 3


@pytest.mark.parametrize("first_paths", [None, False], ids=["in-slices", "failed"])
def test_a_cycle_builds_whole_when_the_first_paths_do_not_apply_or_fail(
    tmp_path: Path, first_paths: bool | None
) -> None:
    said: list[str] = []
    builds: list[str] = []
    runner, _ = watched_log_runner(tmp_path, said)
    runner.lines_flowing = True
    runner.build_first = lambda landed: builds.append("first") or first_paths
    runner.build = lambda: builds.append("whole") or True
    watch_for(runner, 1, said)
    assert builds == ["first", "whole"] and runner.report.builds == 1, said
    assert built_through(tmp_path / "warehouse") == 1
    assert any("failed after batch 1" in text for text in said) == (first_paths is False)


def test_a_cycle_builds_once_through_all_its_micro_batches(tmp_path: Path) -> None:
    """A backlog landed in several micro-batches is built once, through the last of them,
    and compaction still follows every `compact_every`-th batch landed."""
    from weblogs.runner import Runner

    landing = tmp_path / "landing"
    landing.mkdir()
    for index in range(5):
        (landing / f"{index}.log").write_text("".join(f"f{index} l{n}\n" for n in range(10)))
    builds: list[int] = []
    compactions: list[int] = []
    runner = Runner(
        landing=landing, warehouse=tmp_path / "warehouse", raw_schema="weblogs_raw",
        build=lambda: builds.append(len(runner.report.batches)) or True,
        limits=Limits(max_files=1, settle_seconds=0), build_records_state=False,
        compact_every=2, compact=lambda: compactions.append(len(runner.report.batches)),
        say=lambda text: None,
    )  # fmt: skip
    report = runner.run_once()
    assert report.batches == [1, 2, 3, 4, 5] and report.lines == 50
    assert builds == [5] and report.builds == 1
    assert built_through(tmp_path / "warehouse") == 5
    assert compactions == [5]  # batches 2 and 4 were among those landed: once, after the build


UNDECODABLE_REPLY_DIR = Path(__file__).resolve().parent / "undecodable_reply"


@pytest.mark.e2e
def test_a_build_survives_an_undecodable_engine_reply_and_says_why_when_it_cannot(
    project: Project, tmp_path: Path
) -> None:
    """Fault injection (undecodable_reply/sitecustomize.py): the engine's reply to the tenth
    configuration call of every process cannot be decoded, as in one lost CI build."""
    landing = tmp_path / "landing"
    write_log(landing / "first.log", 300, seed=31)
    env = {
        **project.env(),
        "PYTHONPATH": str(UNDECODABLE_REPLY_DIR),
        "WEBLOGS_TEST_UNDECODABLE_CONFIG_REPLIES": "10",
    }
    command = [str(BIN_DIR / "weblogs"), "run", "--landing", str(landing),
               "--settle-seconds", "0", "--vars", LOW_COVERAGE]  # fmt: skip
    survived = subprocess.run(
        command, cwd=project.workdir, env=env, capture_output=True, text=True, timeout=900
    )
    both = survived.stdout + survived.stderr
    assert survived.returncode == 0, both
    assert (
        "weblogs: the engine's reply to a configuration call could not be decoded (DecodeError: "
        "Error parsing message with type 'spark.connect.ConfigResponse'); sending the call "
        "once more"
    ) in survived.stderr
    assert "Traceback" not in both

    # Twice in a row: the call sent again fails too, and so does the build, saying why.
    write_log(landing / "second.log", 300, seed=32)
    env["WEBLOGS_TEST_UNDECODABLE_CONFIG_REPLIES"] = "10x2"
    failed = subprocess.run(
        command, cwd=project.workdir, env=env, capture_output=True, text=True, timeout=900
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    said = [line for line in failed.stdout.splitlines() if line.startswith("dbt build failed: ")]
    assert len(said) == 1 and "Exception deserializing response" in said[0], failed.stdout
    assert "build after batch 2 failed; the next cycle builds again" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr


def test_a_build_process_killed_from_outside_is_said_in_one_line(capsys) -> None:
    """A dbt child ended by a signal (out of memory, a kill from outside) prints nothing
    itself; the run says so beside its line on the failed build."""
    from weblogs.cli.dbt_child import build_in

    child = subprocess.Popen(
        [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"],
        stdin=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert build_in(child, ["build"]) == -signal.SIGKILL
    assert capsys.readouterr().out == "dbt failed: its process was ended by SIGKILL\n"
