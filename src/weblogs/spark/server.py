"""A local Apache Spark Connect server with Delta Lake, from the Spark inside the pyspark package.

`weblogs spark-server start` runs `spark-submit --class ...SparkConnectServer` in the
background, bound to 127.0.0.1 only, with Delta's jars (weblogs.spark.jars) and its tables
and Hive metastore (Derby) in `<warehouse>/_spark/`, so they outlive a restart. In local
mode the server runs every task itself; with `--cluster N` it is the driver of a standalone
cluster of N workers started beside it (weblogs.spark.cluster). Spark Connect rather than
the Thrift server: a Python UDF can be registered from a Spark Connect client (the server
runs it in Python workers of this interpreter), which the Thrift server's SQL-only protocol
cannot do.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from weblogs.file_lock import exclusive
from weblogs.spark import cluster as spark_cluster
from weblogs.spark import jars as spark_jars
from weblogs.spark.processes import (
    HOST,
    SparkServerError,
    environment,
    free_port,
    is_listening,
    java_binary,
    launch,
    log_tail,
    runs,
    spark_home,
    stop_group,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
DEFAULT_PORT = 15002
HOST_ENV = "WEBLOGS_SPARK_HOST"
PORT_ENV = "WEBLOGS_SPARK_PORT"
SERVER_DIR = "_spark"
STATE_FILE = "server.json"
START_TIMEOUT_SECONDS = 300
LOCAL_MASTER = "local[*]"


@dataclass(frozen=True)
class ServerState:
    pid: int
    host: str
    port: int
    log: str
    master: str = LOCAL_MASTER
    cluster: list[dict] = field(default_factory=list)  # spark_cluster.ClusterProcess fields

    @property
    def url(self) -> str:
        return f"sc://{self.host}:{self.port}"

    def cluster_processes(self) -> list[spark_cluster.ClusterProcess]:
        return [spark_cluster.ClusterProcess(**process) for process in self.cluster]


def server_dir(warehouse: Path) -> Path:
    return warehouse / SERVER_DIR


def is_alive(pid: int) -> bool:
    return runs(pid, SERVER_CLASS)


def submit_command(
    home: Path,
    port: int,
    data_dir: Path,
    master: str = LOCAL_MASTER,
    settings: dict[str, str] | None = None,
) -> list[str]:
    """spark-submit of the Spark Connect server: loopback only, state under data_dir, Delta
    as the catalog's table format; `settings` are further (or overriding) --conf pairs."""
    metastore = data_dir / "metastore_db"
    conf = {
        "spark.connect.grpc.binding.address": HOST,
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": HOST,
        "spark.driver.bindAddress": HOST,
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": str(data_dir / "warehouse"),
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={data_dir}",
        "spark.sql.session.timeZone": "UTC",
        # A laptop's data: a few shuffle partitions, not Spark's 200.
        "spark.sql.shuffle.partitions": "4",
        **spark_jars.SETTINGS,
        **(settings or {}),
    }
    # The cluster's driver needs less than a local-mode server, which also runs every task.
    memory = "2g" if master == LOCAL_MASTER else "1g"
    command = [str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS, "--name", "weblogs"]
    command += ["--master", master, "--driver-memory", memory]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    return command


def read_state(warehouse: Path) -> ServerState | None:
    path = server_dir(warehouse) / STATE_FILE
    if not path.is_file():
        return None
    return ServerState(**json.loads(path.read_text(encoding="utf-8")))


def status(warehouse: Path) -> ServerState | None:
    """The server started for this warehouse, if its process is still there."""
    state = read_state(warehouse)
    if state is None or not is_alive(state.pid):
        return None
    return state


def _jar_cache_lock(using_cache: bool) -> contextlib.AbstractContextManager[None]:
    """One Ivy resolution at a time in the shared jar cache: two starts copying the same
    jars into its jars/ folder at once could leave a broken one for both."""
    if not using_cache:
        return contextlib.nullcontext()
    return exclusive(spark_jars.cache_dir() / ".resolve.lock")


def start(
    warehouse: Path,
    port: int = DEFAULT_PORT,
    timeout: float = START_TIMEOUT_SECONDS,
    *,
    workers: int = 0,
    jars: Path | None = None,
    settings: dict[str, str] | None = None,
) -> ServerState:
    """Start the server for this warehouse (or return the one already running) and wait
    until it accepts connections. port 0 picks a free port; workers > 0 starts a standalone
    cluster of that many workers first; jars names a folder of Delta jars (offline)."""
    running = status(warehouse)
    if running is not None:
        return running
    java = java_binary()
    home = spark_home()
    jar_arguments = spark_jars.submit_arguments(jars)
    if port == 0:
        port = free_port()
    elif is_listening(HOST, port):
        raise SparkServerError(
            f"port {port} on {HOST} is already in use: pass --port with another port, "
            "or --port 0 for a free one"
        )
    data_dir = server_dir(warehouse)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = environment(home, java, data_dir, sys.executable)
    deadline = time.monotonic() + timeout
    master, cluster = LOCAL_MASTER, []
    if workers:
        master, cluster = spark_cluster.start(home, env, data_dir, workers, timeout)
    conf = {**(spark_cluster.driver_settings(workers) if workers else {}), **(settings or {})}
    command = submit_command(home, port, data_dir, master, conf)
    command[1:1] = jar_arguments  # spark-submit's options before --class
    log_path = data_dir / "server.log"
    try:
        with _jar_cache_lock(jars is None):
            process = launch(command, env, data_dir, log_path)
            state = ServerState(
                process.pid, HOST, port, str(log_path), master, [asdict(p) for p in cluster]
            )
            (data_dir / STATE_FILE).write_text(json.dumps(asdict(state)), encoding="utf-8")
            _wait_listening(process, state, deadline)
    except BaseException:
        stop(warehouse)
        spark_cluster.stop(cluster)
        raise
    return state


def _wait_listening(process, state: ServerState, deadline: float) -> None:
    log_path = Path(state.log)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_tail(log_path, 60)
            unresolved = spark_jars.resolution_error(tail)
            if unresolved:
                raise SparkServerError(f"{unresolved} (log: {log_path})")
            raise SparkServerError(
                f"the Spark Connect server exited with code {process.returncode}; "
                f"last lines of {log_path}:\n{log_tail(log_path)}"
            )
        if is_listening(HOST, state.port):
            return
        time.sleep(0.5)
    raise SparkServerError(
        f"the Spark Connect server did not listen on {HOST}:{state.port} in time; "
        f"last lines of {log_path}:\n{log_tail(log_path)}"
    )


def stop(warehouse: Path) -> bool:
    """Stop the server of this warehouse (its whole process group), then its cluster's
    workers and master; False if none ran."""
    state = read_state(warehouse)
    if state is None:
        return False
    stopped = stop_group(state.pid, SERVER_CLASS)
    spark_cluster.stop(state.cluster_processes())
    (server_dir(warehouse) / STATE_FILE).unlink(missing_ok=True)
    return stopped


def configured_address(warehouse: Path) -> tuple[str, int]:
    """Where the spark target connects: $WEBLOGS_SPARK_HOST/PORT, else the server started
    for this warehouse, else 127.0.0.1:15002."""
    state = status(warehouse)
    host = os.environ.get(HOST_ENV) or (state.host if state else HOST)
    port = os.environ.get(PORT_ENV) or (state.port if state else DEFAULT_PORT)
    return host, int(port)


def reachable_address(warehouse: Path) -> tuple[str, int]:
    """The spark target's server address, once it accepts connections; else a one-line error."""
    host, port = configured_address(warehouse)
    if not is_listening(host, port):
        raise SparkServerError(
            f"no Spark Connect server at sc://{host}:{port}: start one with "
            "`weblogs spark-server start`"
        )
    return host, port


def session(warehouse: Path) -> SparkSession:
    """A Spark Connect session on the server the spark target uses."""
    from pyspark.sql import SparkSession

    host, port = reachable_address(warehouse)
    return (
        SparkSession.builder.remote(f"sc://{host}:{port}")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
