"""The benchmark's Apache Spark engines: the spark target's server for a pipeline, in local
mode or as the driver of a two-worker cluster; a cluster of the same shape for the lab's
code; and every JVM and Python process of either, by group, for their memory and CPU.

- ``spark-local``: `weblogs spark-server start` (local mode, every task in the server);
- ``spark-cluster``: `weblogs spark-server start --cluster 2` (a master, two workers of one
  core each, the server their driver).

The lab's code runs on the same Spark as a user would run it there: its own SparkSession,
classic (not Spark Connect), with `local[*]` in local mode or the master URL of a cluster of
the same shape, started for it alone (the server's application holds every core of its own
cluster for as long as it runs, so the two cannot share one).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from weblogs_bench.measure import children_by_parent, measured
from weblogs_bench.variants import BenchError

# Engines the pipeline runs on (`--engines`): the embedded one, and the spark target's two
# modes with the number of workers of each.
EMBEDDED = "embedded"
SPARK_WORKERS = {"spark-local": 0, "spark-cluster": 2}
ENGINES = (EMBEDDED, *SPARK_WORKERS)
EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend"
START_TIMEOUT_SECONDS = 600


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def process_groups(roots: dict[str, int]) -> dict[str, list[int]]:
    """Every JVM and Python process under each root JVM, in groups: the root ("server JVM",
    "worker-1 JVM"), its Python workers, its executors' JVMs and their Python workers."""
    groups: dict[str, list[int]] = {}
    children = children_by_parent()
    for role, root in roots.items():
        groups[f"{role} JVM"] = [root]
        pending = [(root, role)]
        while pending:
            pid, owner = pending.pop()
            for child in children.get(pid, []):
                line = _command_line(child)
                if EXECUTOR_CLASS in line:
                    groups.setdefault(f"{owner} executor JVM", []).append(child)
                    pending.append((child, f"{owner} executor"))
                    continue
                if "python" in line:
                    groups.setdefault(f"{owner} Python", []).append(child)
                pending.append((child, owner))
    return groups


class SparkServer:
    """The spark target's server for one pipeline's warehouse, started and stopped through
    `weblogs spark-server` as a user does."""

    def __init__(self, engine: str, env: dict[str, str], run_dir: Path) -> None:
        self.engine, self.env, self.run_dir = engine, env, run_dir
        self.workers = SPARK_WORKERS[engine]
        self.port: int | None = None
        self.start_seconds = 0.0

    def _weblogs(self, *args: str):  # a measure.Run
        return measured([sys.executable, "-m", "weblogs.cli", *args], self.env, self.run_dir)

    def start(self) -> None:
        started = time.perf_counter()
        command = ["spark-server", "start", "--port", "0"]
        if self.workers:
            command += ["--cluster", str(self.workers)]
        output = self._weblogs(*command).stdout
        found = re.search(r"sc://127\.0\.0\.1:(\d+)", output)
        if found is None:
            raise BenchError(f"no server address in: {output}")
        self.port = int(found.group(1))
        self.start_seconds = time.perf_counter() - started

    def target_env(self) -> dict[str, str]:
        """What the pipeline's commands need to use this server."""
        from weblogs.spark import server

        return {
            "WEBLOGS_TARGET": "spark",
            server.HOST_ENV: server.HOST,
            server.PORT_ENV: str(self.port),
        }

    def processes(self) -> dict[str, list[int]]:
        from weblogs.spark import server

        state = server.status(Path(self.env["WEBLOGS_WAREHOUSE"]))
        if state is None:
            return {}
        roots = {"server": state.pid}
        roots.update({process.role: process.pid for process in state.cluster_processes()})
        return process_groups(roots)

    def stop(self) -> None:
        self._weblogs("spark-server", "stop")


class LabCluster:
    """A standalone cluster of the server's shape (two workers, one core and 1 GiB each),
    for the lab's code alone."""

    def __init__(self, data_dir: Path, workers: int) -> None:
        self.data_dir, self.workers = data_dir, workers
        self.master = ""
        self.started: list = []  # weblogs.spark.cluster.ClusterProcess

    def start(self) -> str:
        from weblogs.spark import cluster
        from weblogs.spark.processes import environment, java_binary, spark_home

        self.data_dir.mkdir(parents=True, exist_ok=True)
        home = spark_home()
        env = environment(home, java_binary(), self.data_dir, sys.executable)
        self.master, self.started = cluster.start(
            home, env, self.data_dir, self.workers, START_TIMEOUT_SECONDS
        )
        return self.master

    def processes(self) -> dict[str, list[int]]:
        return process_groups({process.role: process.pid for process in self.started})

    def stop(self) -> None:
        from weblogs.spark import cluster

        cluster.stop(self.started)
        self.started = []


def spark_reads() -> str:
    """Who reads the files a Spark ingest lands, as the pipeline's commands will be told
    (weblogs.bronze.spark): the executors (the default) or the client."""
    from weblogs.bronze.spark import EXECUTORS, READS_ENV

    return os.environ.get(READS_ENV) or EXECUTORS
