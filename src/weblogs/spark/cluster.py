"""A Spark standalone cluster on this machine: one master and N workers, each a JVM of its
own on 127.0.0.1, for `weblogs spark-server start --cluster N`.

The Connect server then runs as the cluster's driver: tasks, and the Python UDF workers they
start, run in executor JVMs the workers launch, not in the server. So a build on it shows
that nothing depends on local mode. Each worker offers one core and 1 GiB; each executor
takes one core and 768 MiB of heap. The master's REST submission server is off (it would
take jobs from anyone reaching its port); its web UIs, like every port here, are bound to
127.0.0.1.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from weblogs.spark.processes import (
    HOST,
    SparkServerError,
    free_port,
    is_listening,
    launch,
    log_tail,
    runs,
    stop_group,
)

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
WORKER_CORES = 1
WORKER_MEMORY = "1g"
EXECUTOR_MEMORY = "768m"
CLUSTER_DIR = "cluster"


@dataclass(frozen=True)
class ClusterProcess:
    """A master or worker JVM: its role, pid (= its session id), main class and log."""

    role: str
    pid: int
    main_class: str
    log: str

    def runs(self) -> bool:
        return runs(self.pid, self.main_class)


def driver_settings(workers: int) -> dict[str, str]:
    """The Connect server's settings as the cluster's driver: one core per executor, one
    executor per worker."""
    return {
        "spark.executor.cores": str(WORKER_CORES),
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.cores.max": str(workers * WORKER_CORES),
    }


def _alive_workers(ui_port: int) -> int:
    """Workers registered with the master, as its JSON status page says."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{ui_port}/json/", timeout=2) as page:
            return int(json.load(page).get("aliveworkers", 0))
    except (OSError, ValueError):
        return 0


def start(
    home: Path, environment: dict[str, str], data_dir: Path, workers: int, timeout: float
) -> tuple[str, list[ClusterProcess]]:
    """Start the master and the workers; return the master URL and the processes once every
    worker has registered. On failure nothing is left running."""
    folder = data_dir / CLUSTER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    # The REST server is a master setting with no command-line flag.
    master_environment = {**environment, "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"}
    spark_class = str(home / "bin" / "spark-class")
    port, ui_port = free_port(), free_port()
    started: list[ClusterProcess] = []
    deadline = time.monotonic() + timeout

    def begin(role: str, main_class: str, arguments: list[str], env: dict[str, str]):
        log = folder / f"{role}.log"
        process = launch([spark_class, main_class, *arguments], env, folder, log)
        started.append(ClusterProcess(role, process.pid, main_class, str(log)))
        return process

    try:
        master = begin(
            "master", MASTER_CLASS,
            ["--host", HOST, "--port", str(port), "--webui-port", str(ui_port)],
            master_environment,
        )  # fmt: skip
        _wait(lambda: is_listening(HOST, port), master, started[0], deadline, "listen")
        for number in range(1, workers + 1):
            work_dir = folder / f"worker-{number}"
            work_dir.mkdir(exist_ok=True)
            begin(
                f"worker-{number}", WORKER_CLASS,
                [
                    f"spark://{HOST}:{port}", "--host", HOST, "--port", str(free_port()),
                    "--webui-port", str(free_port()), "--cores", str(WORKER_CORES),
                    "--memory", WORKER_MEMORY, "--work-dir", str(work_dir),
                ],
                environment,
            )  # fmt: skip
        _wait(
            lambda: _alive_workers(ui_port) >= workers, master, started[0], deadline,
            f"see its {workers} worker(s) register",
        )  # fmt: skip
    except BaseException:
        stop(started)
        raise
    return f"spark://{HOST}:{port}", started


def _wait(ready, process, described: ClusterProcess, deadline: float, awaited: str) -> None:
    while not ready():
        if process.poll() is not None:
            raise SparkServerError(
                f"the Spark master exited with code {process.returncode}; last lines of "
                f"{described.log}:\n{log_tail(Path(described.log))}"
            )
        if time.monotonic() > deadline:
            raise SparkServerError(
                f"the Spark master did not {awaited} in time; logs in {Path(described.log).parent}"
            )
        time.sleep(0.3)


def stop(processes: list[ClusterProcess]) -> None:
    """Workers first (their executors go with them), then the master."""
    for process in sorted(processes, key=lambda p: p.main_class == MASTER_CLASS):
        stop_group(process.pid, process.main_class)
