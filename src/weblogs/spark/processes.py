"""The JVM processes of a local Spark: started in the background, each in a session of its
own (so a Ctrl-C of the command that started them does not reach them, and a stop takes
the process with its children), found again by pid and main class, stopped cleanly."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"
STOP_TIMEOUT_SECONDS = 60


class SparkServerError(RuntimeError):
    """The server cannot be started, reached or stopped; the message says why."""


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


def launch(command: list[str], environment: dict[str, str], cwd: Path, log_path: Path):
    """Start a process in its own session, its output appended to log_path (a Popen)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def runs(pid: int, main_class: str) -> bool:
    """True while the process runs and is the JVM of main_class: a stale state file whose
    pid now belongs to another program must never lead to signalling that program."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            return main_class.encode() in cmdline.read_bytes()
        except OSError:
            return False
    return True


def stop_group(pid: int, main_class: str, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """SIGTERM to the process's session, SIGKILL if it outlives timeout; False if it was
    not running."""
    if not runs(pid, main_class):
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and runs(pid, main_class):
        _reap(pid)
        time.sleep(0.2)
    if runs(pid, main_class):
        os.killpg(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status when the process is a child of this one."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def log_tail(path: Path, lines: int = 20) -> str:
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# Spark's default logs every task at INFO (84,000 lines for a few Delta statements): warnings
# and errors, plus the lines that say a server or worker started and where.
LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.connect.name = org.apache.spark.sql.connect.service.SparkConnectServer
logger.connect.level = info
logger.deploy.name = org.apache.spark.deploy
logger.deploy.level = info
"""


def conf_dir(data_dir: Path) -> Path:
    """SPARK_CONF_DIR of every process we start: the logging above."""
    folder = data_dir / "conf"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log4j2.properties").write_text(LOG4J2, encoding="utf-8")
    return folder


def environment(home: Path, java: str, data_dir: Path, python: str) -> dict[str, str]:
    """The environment of a Spark JVM we start: this pyspark's Spark, loopback only."""
    return {
        **os.environ,
        "SPARK_HOME": str(home),
        "JAVA_HOME": os.environ.get("JAVA_HOME") or str(Path(java).resolve().parents[1]),
        "SPARK_CONF_DIR": str(conf_dir(data_dir)),
        # UDFs run in Python workers started with the interpreter the server names (the
        # Connect planner embeds its PYSPARK_PYTHON in each UDF, also for executors).
        "PYSPARK_PYTHON": python,
        "SPARK_LOCAL_IP": HOST,
    }
