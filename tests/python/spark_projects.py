"""The project run against a target for the Spark tests, and the processes of a running
Spark server (a test helper)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from jvm_processes import executors, python_workers

from conftest import Project
from weblogs.cli.output import readable
from weblogs.spark import server as spark_server

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
