"""The project run against a target for the Spark tests, the processes of a running Spark
server, and the fixtures the Spark test files share: the logs, the embedded engine's build
of them, and a server in one mode (a test helper).

Each test file gets its own server (the fixtures are per module): under `make test` (xdist,
whole files per worker) the local-mode file and the cluster's run side by side."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from jvm_processes import executors, listening_addresses, python_workers, still_running

from conftest import SHARED_LOG, Project, in_ci, real_log_problem
from weblogs.cli.output import readable
from weblogs.spark import jars as spark_jars
from weblogs.spark import server as spark_server

LOCAL, CLUSTER = "local-mode", "cluster"
LOCAL_MODE = pytest.mark.parametrize("spark_project", [LOCAL], indirect=True)
CLUSTER_MODE = pytest.mark.parametrize("spark_project", [CLUSTER], indirect=True)
# A Spark build took 9 minutes on a two-core machine under a load of 10.
SPARK_TIMEOUT = 1800
# Lines of each input log.
SAMPLE_LINES = 2_000

MART_KEYS = {
    "weblogs.network_filter": "request_id",
    "weblogs.requests_by_status": "response_code",
    "weblogs.access_log_quarantine": "line_id",
    "weblogs.int_access_requests_deduplicated": "request_id",
    "weblogs.visitors_by_day": "site, event_date",
    "weblogs.requests_by_agent": (
        "site, event_date, browser_family, os_family, device_class, is_bot"
    ),
    "weblogs.referring_sites": "site, event_date, referring_host",
    "weblogs.not_found_paths": "site, endpoint",
}
# Differs between two ingests of the same files by design (the time of the ingest).
INGEST_TIME_COLUMNS = {"ingested_at"}
# Two logs of different years make the daily-volume monitor fail; this test compares engines.
MONITORS_WARN = "{dq_monitor_severity: warn}"
NEW_LINE = b'10.0.0.9 - - [01/Aug/1995:00:00:01 -0400] "GET /overlap.gif HTTP/1.0" 200 1000\n'


@dataclass
class TargetProject(Project):
    """The project run against one target; the spark target finds its server by port."""

    target: str = "local"
    spark_port: int | None = None
    mode: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    _spark: object = None

    def env(self) -> dict[str, str]:
        environment = {**super().env(), "WEBLOGS_TARGET": self.target}
        if self.spark_port is not None:
            environment[spark_server.PORT_ENV] = str(self.spark_port)
            environment[spark_server.HOST_ENV] = spark_server.HOST
        return environment

    def dbt(self, *args: str, check: bool = True):  # subprocess.CompletedProcess[str]
        return super().dbt(*args, "--target", self.target, check=check)

    def timed_dbt(self, label: str, *args: str) -> None:
        started = time.monotonic()
        self.dbt(*args, "--vars", MONITORS_WARN)
        self.timings[label] = time.monotonic() - started

    @property
    def spark(self):  # a SparkSession on this project's server, opened once
        if self._spark is None:
            from pyspark.sql import SparkSession

            self._spark = (
                SparkSession.builder.remote(f"sc://{spark_server.HOST}:{self.spark_port}")
                .config("spark.sql.session.timeZone", "UTC")
                .create()
            )
        return self._spark

    def close(self) -> None:
        """Stop the client session before its server stops: left open, pyspark retries
        releasing it at interpreter exit for minutes."""
        if self._spark is not None:
            self._spark.stop()
            self._spark = None

    def rows(self, sql: str) -> list[dict]:
        """Rows as `weblogs sql --format json` prints them (on Spark read in this process,
        through the same client, to spare a process per query)."""
        if self.spark_port is None:
            output = self.weblogs("sql", sql, "--format", "json").stdout
            return [json.loads(line) for line in output.splitlines() if line.strip()]
        frame = self.spark.sql(sql)
        return [
            json.loads(
                json.dumps(dict(zip(frame.columns, map(readable, row), strict=True)), default=str)
            )
            for row in frame.collect()
        ]

    def table(self, name: str) -> list[dict]:
        """Every row of a table, ingest-time columns left out, in key order."""
        rows = self.rows(f"select * from {name} order by {MART_KEYS[name]}")
        return [{k: v for k, v in row.items() if k not in INGEST_TIME_COLUMNS} for row in rows]

    def marts(self) -> dict[str, list[dict]]:
        return {name: self.table(name) for name in MART_KEYS}

    def count(self, name: str) -> int:
        return self.rows(f"select count(*) as n from {name}")[0]["n"]


def server_processes(state: spark_server.ServerState) -> dict[str, int]:
    """Every JVM and Python process of a running server, by role."""
    found = {"server": state.pid}
    for process in state.cluster_processes():
        found[process.role] = process.pid
        for number, executor in enumerate(executors(process.pid)):
            found[f"{process.role} executor {number}"] = executor
            for worker in python_workers(executor):
                found[f"{process.role} executor {number} python {worker}"] = worker
    return found


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A few thousand lines: the start of the real sample log when it is there, plus a
    generated log with bad lines. A Spark build's time is its statements', not its rows'."""
    from weblogs.generate import write_log

    folder = tmp_path_factory.mktemp("spark-logs")
    generated = write_log(folder / "access.log", SAMPLE_LINES, seed=11)
    problem = real_log_problem()
    if problem:
        # Without the real log the group still runs on the generated one, and says so; under
        # CI the real log must be there.
        if in_ci():
            pytest.fail(problem)
        warnings.warn(f"the Spark tests run on a generated log only: {problem}", stacklevel=1)
        return [generated]
    sample = folder / "apache_logs"
    sample.write_bytes(b"".join(SHARED_LOG.read_bytes().splitlines(keepends=True)[:SAMPLE_LINES]))
    return [sample, generated]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, logs: list[Path]) -> TargetProject:
    """The embedded engine's build of the logs, which every Spark mode must equal."""
    root = tmp_path_factory.mktemp("reference")
    (root / "work").mkdir()
    project = TargetProject(warehouse=root / "warehouse", workdir=root / "work")
    project.weblogs("ingest", *(str(path) for path in logs))
    project.timed_dbt("build", "build")
    print(f"dbt build on the embedded engine: {project.timings['build']:.1f} s")
    return project


@pytest.fixture(scope="module")
def spark_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TargetProject]:
    """A Spark Connect server with Delta in one mode. Local mode gets the jars as a user
    does (Maven Central through the jar cache); the cluster takes them from the cache's
    folder with --jars, the offline path."""
    mode = request.param
    root = tmp_path_factory.mktemp(f"spark-{mode}")
    (root / "work").mkdir()
    project = TargetProject(
        warehouse=root / "warehouse", workdir=root / "work", target="spark", mode=mode,
        timeout=SPARK_TIMEOUT,
    )  # fmt: skip
    start = ["spark-server", "start", "--port", "0"]
    if mode == CLUSTER:
        start += ["--cluster", "2"]
        if list(spark_jars.cached_jars().glob("*delta-spark*.jar")):
            start += ["--jars", str(spark_jars.cached_jars())]
    started = time.monotonic()
    try:
        print(project.weblogs(*start).stdout.strip())
        state = spark_server.status(project.warehouse)
        assert state is not None
        project.spark_port = state.port
        print(f"{mode}: server up in {time.monotonic() - started:.1f} s ({' '.join(start)})")
        yield project
    finally:
        project.close()
        state = spark_server.status(project.warehouse)
        processes = server_processes(state) if state else {}
        spark_server.stop(project.warehouse)
    assert spark_server.status(project.warehouse) is None
    left = [role for role, pid in processes.items() if still_running(pid)]
    assert left == [], f"still running after stop: {left}"


def check_listening_on_loopback_only(project: TargetProject) -> dict[str, set[str]]:
    """Every JVM of the server (and, on a cluster, the master's and the workers') listens on
    127.0.0.1 alone; returns the addresses by role."""
    state = spark_server.status(project.warehouse)
    assert state is not None
    listeners = {
        role: listening_addresses(pid)
        for role, pid in server_processes(state).items()
        if "python" not in role
    }
    assert listeners["server"], "the server listens on no TCP socket"
    for role, addresses in listeners.items():
        assert all(address == "127.0.0.1" for address in addresses), (role, addresses)
    return listeners


def check_same_marts(project: TargetProject, reference: TargetProject, logs: list[Path]) -> None:
    """After the build: bronze holds every line, every mart equals the embedded engine's row
    for row, and `weblogs sql` finds network_filter a Delta table."""
    print(
        f"dbt build: embedded {reference.timings['build']:.1f} s, "
        f"Spark {project.mode} {project.timings['build']:.1f} s"
    )
    lines = sum(len(path.read_bytes().splitlines()) for path in logs)
    assert project.count("weblogs_raw.access_log_lines") == lines
    expected = reference.marts()
    for name, rows in project.marts().items():
        print(f"{name}: {len(rows)} rows on both engines")
        assert rows == expected[name], name
    assert expected["weblogs.access_log_quarantine"], "the generated log has bad lines"

    # As a user asks it, through the weblogs command.
    detail = project.weblogs("sql", "describe detail network_filter", "--format", "json")
    assert json.loads(detail.stdout)["format"] == "delta"
