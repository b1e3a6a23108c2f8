"""A local Apache Spark Connect server, from the Spark that ships inside the pyspark package.

`weblogs spark-server start` runs `spark-submit --class ...SparkConnectServer` in the
background, bound to 127.0.0.1 only, with its tables (parquet) and its Hive metastore (Derby)
in `<warehouse>/_spark/`, so they outlive a restart. Spark Connect rather than the Thrift
server: a Python UDF can be registered from a Spark Connect client (the server runs it in
Python workers of this interpreter), which the Thrift server's SQL-only protocol cannot do.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
HOST = "127.0.0.1"
DEFAULT_PORT = 15002
HOST_ENV = "WEBLOGS_SPARK_HOST"
PORT_ENV = "WEBLOGS_SPARK_PORT"
SERVER_DIR = "_spark"
STATE_FILE = "server.json"
START_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 60


class SparkServerError(RuntimeError):
    """The server cannot be started, reached or stopped; the message says why."""


@dataclass(frozen=True)
class ServerState:
    pid: int
    host: str
    port: int
    log: str

    @property
    def url(self) -> str:
        return f"sc://{self.host}:{self.port}"


def server_dir(warehouse: Path) -> Path:
    return warehouse / SERVER_DIR


def spark_home() -> Path:
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-submit").is_file():
        raise SparkServerError(f"pyspark at {home} has no bin/spark-submit")
    return home


def java_binary() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise SparkServerError(
            "Apache Spark needs Java 17 or newer and no `java` was found: install a JDK "
            "(e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME"
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def is_listening(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def is_alive(pid: int) -> bool:
    """True while the process runs and is a Spark Connect server: a stale state file whose
    pid now belongs to another program must never lead to signalling that program."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            return SERVER_CLASS.encode() in cmdline.read_bytes()
        except OSError:
            return False
    return True


def submit_command(home: Path, port: int, data_dir: Path) -> list[str]:
    """spark-submit of the Spark Connect server: loopback only, state under data_dir."""
    metastore = data_dir / "metastore_db"
    settings = {
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
    }
    command = [
        str(home / "bin" / "spark-submit"),
        "--class",
        SERVER_CLASS,
        "--name",
        "weblogs",
        "--master",
        "local[*]",
        "--driver-memory",
        "2g",
    ]
    for key, value in settings.items():
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


def log_tail(path: Path, lines: int = 20) -> str:
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def start(
    warehouse: Path, port: int = DEFAULT_PORT, timeout: float = START_TIMEOUT_SECONDS
) -> ServerState:
    """Start the server for this warehouse (or return the one already running) and wait
    until it accepts connections. port 0 picks a free port."""
    running = status(warehouse)
    if running is not None:
        return running
    java = java_binary()
    home = spark_home()
    if port == 0:
        port = free_port()
    elif is_listening(HOST, port):
        raise SparkServerError(
            f"port {port} on {HOST} is already in use: pass --port with another port, "
            "or --port 0 for a free one"
        )
    data_dir = server_dir(warehouse)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    environment = {
        **os.environ,
        "SPARK_HOME": str(home),
        "JAVA_HOME": os.environ.get("JAVA_HOME") or str(Path(java).resolve().parents[1]),
        # UDFs run in Python workers of the server: this interpreter has pandas and pyarrow.
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": HOST,
    }
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            submit_command(home, port, data_dir),
            cwd=data_dir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state = ServerState(pid=process.pid, host=HOST, port=port, log=str(log_path))
    (data_dir / STATE_FILE).write_text(json.dumps(asdict(state)), encoding="utf-8")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            (data_dir / STATE_FILE).unlink(missing_ok=True)
            raise SparkServerError(
                f"the Spark Connect server exited with code {process.returncode}; "
                f"last lines of {log_path}:\n{log_tail(log_path)}"
            )
        if is_listening(HOST, port):
            return state
        time.sleep(0.5)
    stop(warehouse)
    raise SparkServerError(
        f"the Spark Connect server did not listen on {HOST}:{port} within {timeout:.0f} s; "
        f"last lines of {log_path}:\n{log_tail(log_path)}"
    )


def stop(warehouse: Path, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Stop the server of this warehouse (its whole process group); False if none ran."""
    state = read_state(warehouse)
    if state is None:
        return False
    state_path = server_dir(warehouse) / STATE_FILE
    if not is_alive(state.pid):
        state_path.unlink(missing_ok=True)
        return False
    os.killpg(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and is_alive(state.pid):
        _reap(state.pid)
        time.sleep(0.2)
    if is_alive(state.pid):
        os.killpg(state.pid, signal.SIGKILL)
    _reap(state.pid)
    state_path.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status when the server is a child of this process."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


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
