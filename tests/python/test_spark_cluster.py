"""The project on a standalone Spark cluster of two workers (a master and two worker JVMs,
each with its executor and the executor's Python workers; the Connect server their driver):
what differs from local mode. Every process listens on loopback only, `parse_state` runs on
both executors, and every mart agrees row for row with the embedded engine.

The data tests and the unit test run on Spark in local mode (test_spark_target.py): on the
cluster they would prove the same SQL again and double the file's time. A file of its own,
so that under `make test` (xdist, whole files per worker) it runs beside local mode's."""

# The shared fixtures are imported from spark_projects and named again as parameters.
# ruff: noqa: F811

from __future__ import annotations

from pathlib import Path

import pytest
from jvm_processes import rss_mib
from spark_projects import (
    CLUSTER_MODE,
    TargetProject,
    check_listening_on_loopback_only,
    check_same_marts,
    logs,  # noqa: F401 (fixtures)
    reference,  # noqa: F401
    server_processes,
    spark_project,  # noqa: F401
)

from weblogs.spark import server as spark_server

pytestmark = pytest.mark.spark


@CLUSTER_MODE
def test_every_process_listens_on_loopback_only(spark_project: TargetProject) -> None:
    listeners = check_listening_on_loopback_only(spark_project)
    assert {"master", "worker-1", "worker-2"} <= listeners.keys()


@CLUSTER_MODE
def test_same_marts_as_the_embedded_engine(
    spark_project: TargetProject, reference: TargetProject, logs: list[Path]
) -> None:
    spark_project.weblogs("ingest", *(str(path) for path in logs))
    spark_project.timed_dbt(
        "build", "build", "--exclude", "resource_type:test", "resource_type:unit_test"
    )
    check_same_marts(spark_project, reference, logs)

    state = spark_server.status(spark_project.warehouse)
    assert state is not None
    processes = server_processes(state)
    for role, pid in processes.items():
        print(f"RSS {role}: {rss_mib(pid):.0f} MiB")
    # parse_state ran on both executors, each in Python workers under its own JVM.
    for worker in ("worker-1", "worker-2"):
        assert any(role.startswith(f"{worker} executor 0 python") for role in processes), (
            worker,
            processes,
        )
