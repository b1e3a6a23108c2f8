"""The same project on Apache Spark (a local Spark Connect server from the pyspark package):
dbt build and dbt test pass, and every mart agrees row for row with the embedded engine."""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SHARED_LOG, Project
from weblogs import spark_server

pytestmark = pytest.mark.spark

MART_KEYS = {
    "weblogs.network_filter": "request_id",
    "weblogs.requests_by_status": "response_code",
    "weblogs.access_log_quarantine": "line_id",
    "weblogs.int_access_requests_deduplicated": "request_id",
}
# Differs between two ingests of the same files by design (the time of the ingest).
INGEST_TIME_COLUMNS = {"ingested_at"}


@dataclass
class TargetProject(Project):
    """The project run against one target; the spark target finds its server by port."""

    target: str = "local"
    spark_port: int | None = None

    def env(self) -> dict[str, str]:
        environment = {**super().env(), "WEBLOGS_TARGET": self.target}
        if self.spark_port is not None:
            environment[spark_server.PORT_ENV] = str(self.spark_port)
            environment[spark_server.HOST_ENV] = spark_server.HOST
        return environment

    def dbt(self, *args: str, check: bool = True):  # subprocess.CompletedProcess[str]
        return super().dbt(*args, "--target", self.target, check=check)

    def rows(self, sql: str) -> list[dict]:
        output = self.weblogs("sql", sql, "--format", "json").stdout
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def table(self, name: str) -> list[dict]:
        """Every row of a table, ingest-time columns left out, in key order."""
        rows = self.rows(f"select * from {name} order by {MART_KEYS[name]}")
        return [{k: v for k, v in row.items() if k not in INGEST_TIME_COLUMNS} for row in rows]

    def checksum(self, name: str) -> dict:
        return self.rows(
            "select count(*) as n, "
            "sum(cast(xxhash64(to_json(struct(*))) as decimal(38, 0))) as h "
            f"from {name}"
        )[0]


def listening_addresses(pid: int) -> set[str]:
    """Local addresses of the TCP sockets a process listens on (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(local.split(":")[0])
            # /proc prints each 32-bit word in host (little-endian) order.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            address = ipaddress.ip_address(words)
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            addresses.add(str(address))
    return addresses


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The real sample log when it is there, plus a generated log with bad lines."""
    from weblogs.generate import write_log

    generated = write_log(tmp_path_factory.mktemp("spark-logs") / "access.log", 5_000, seed=11)
    return [SHARED_LOG, generated] if SHARED_LOG.is_file() else [generated]


@pytest.fixture(scope="module")
def spark_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TargetProject]:
    root = tmp_path_factory.mktemp("spark")
    (root / "work").mkdir()
    project = TargetProject(warehouse=root / "warehouse", workdir=root / "work", target="spark")
    started = time.monotonic()
    try:
        project.weblogs("spark-server", "start", "--port", "0")
        state = spark_server.status(project.warehouse)
        assert state is not None
        project.spark_port = state.port
        print(f"spark server started in {time.monotonic() - started:.1f} s")
        yield project
    finally:
        spark_server.stop(project.warehouse)
    assert spark_server.status(project.warehouse) is None


def test_server_listens_on_loopback_only(spark_project: TargetProject) -> None:
    state = spark_server.status(spark_project.warehouse)
    assert state is not None
    addresses = listening_addresses(state.pid)
    assert addresses, "the server listens on no TCP socket"
    assert all(ipaddress.ip_address(address).is_loopback for address in addresses), addresses


# Two logs of different years make the daily-volume monitor fail; this test compares engines.
MONITORS_WARN = "{dq_monitor_severity: warn}"
NEW_LINE = b'10.0.0.9 - - [01/Aug/1995:00:00:01 -0400] "GET /overlap.gif HTTP/1.0" 200 1000\n'


def test_a_build_before_anything_landed_builds_empty_tables(spark_project: TargetProject) -> None:
    """The on-run-start hook creates bronze and the ledger as the Spark ingest would."""
    built = spark_project.dbt("build")
    done = next(line for line in built.stdout.splitlines() if "Done. PASS=" in line)
    assert "ERROR=0 SKIP=0 " in done, built.stdout
    assert "schema drift" not in built.stdout
    for table in MART_KEYS:
        assert spark_project.checksum(table)["n"] == 0, table


def test_same_marts_as_the_embedded_engine(
    spark_project: TargetProject, logs: list[Path], tmp_path: Path
) -> None:
    (tmp_path / "work").mkdir()
    local = TargetProject(warehouse=tmp_path / "warehouse", workdir=tmp_path / "work")
    files = [str(path) for path in logs]
    timings = {}
    for project in (local, spark_project):
        project.weblogs("ingest", *files)
        started = time.monotonic()
        project.dbt("build", "--vars", MONITORS_WARN)
        timings[project.target] = time.monotonic() - started

    started = time.monotonic()
    spark_project.dbt("test", "--vars", MONITORS_WARN)
    spark_test_seconds = time.monotonic() - started
    print(
        f"dbt build: local {timings['local']:.1f} s, spark {timings['spark']:.1f} s; "
        f"dbt test on spark {spark_test_seconds:.1f} s"
    )

    lines = sum(len(path.read_bytes().splitlines()) for path in logs)
    for project in (local, spark_project):
        assert project.checksum("weblogs_raw.access_log_lines")["n"] == lines
    for table in MART_KEYS:
        local_rows, spark_rows = local.table(table), spark_project.table(table)
        print(f"{table}: {len(local_rows)} rows on both targets")
        assert spark_rows == local_rows, table
    assert local.table("weblogs.access_log_quarantine"), "the generated log has bad lines"

    # Idempotent on parquet too: the same files again land nothing, a rebuild changes no row.
    before = {table: spark_project.checksum(table) for table in MART_KEYS}
    again = spark_project.weblogs("ingest", *files)
    assert "nothing new to ingest" in again.stdout
    assert spark_project.checksum("weblogs_raw.access_log_lines")["n"] == lines
    spark_project.dbt("build", "--vars", MONITORS_WARN)
    assert {table: spark_project.checksum(table) for table in MART_KEYS} == before
    assert "insert into table weblogs.int_access_requests_deduplicated" in spark_project.dbt_log()

    # A later file that repeats lines already merged (an overlapping rotated log) adds only
    # its one new request, on both engines: on parquet the append skips stored keys.
    overlap = tmp_path / "access.log.overlap"
    overlap.write_bytes(b"".join(logs[-1].read_bytes().splitlines(keepends=True)[:200]) + NEW_LINE)
    for project in (local, spark_project):
        project.weblogs("ingest", str(overlap))
        project.dbt("build", "--vars", MONITORS_WARN)
    after = {table: spark_project.checksum(table)["n"] for table in MART_KEYS}
    assert after["weblogs.int_access_requests_deduplicated"] == (
        before["weblogs.int_access_requests_deduplicated"]["n"] + 1
    )
    assert after["weblogs.access_log_quarantine"] == before["weblogs.access_log_quarantine"]["n"]
    for table in MART_KEYS:
        assert spark_project.table(table) == local.table(table), table


def test_one_model_alone_finds_the_udf(spark_project: TargetProject, logs: list[Path]) -> None:
    """A new dbt process running only staging: the on-run-start hook registers parse_state
    in its session, or the model fails to resolve the function."""
    if spark_project.checksum("weblogs_raw.access_log_lines")["n"] == 0:
        spark_project.weblogs("ingest", *(str(path) for path in logs))
    spark_project.dbt("run", "--select", "stg_apache_logs__lines")
    parsed = spark_project.rows(
        "select count(*) as n from weblogs.stg_apache_logs__lines "
        "where event_epoch_seconds is not null"
    )[0]["n"]
    assert parsed > 0


def test_dbt_without_a_server_fails_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    project = TargetProject(
        warehouse=tmp_path / "warehouse",
        workdir=tmp_path / "work",
        target="spark",
        spark_port=spark_server.free_port(),
    )
    result = project.dbt("run", "--select", "network_filter", check=False)
    assert result.returncode != 0
    assert "no Spark Connect server at sc://127.0.0.1:" in result.stdout
    assert "weblogs spark-server start" in result.stdout
