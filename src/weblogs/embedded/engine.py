"""The embedded engine: one Sail Spark Connect server per process, and sessions on it."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_lock = threading.Lock()
_server = None
# The process's shared session and the warehouse it was opened on.
_shared: tuple[str, SparkSession] | None = None
# How grpc reports a reply it could not decode (StatusCode.INTERNAL).
UNDECODABLE_REPLY = "Exception deserializing response"
# Room for a libc `struct sigaction` (152 bytes with glibc), read and written back whole.
_SIGACTION_BYTES = 512


def start_keeping_sigint(server) -> None:  # a pysail SparkConnectServer
    """Start Sail's server in the background, keeping Ctrl-C for this process.

    The server shuts itself down on SIGINT: its runtime installs its own handler, with
    SA_RESTART, just after the start. A Ctrl-C then left every query of the process retrying
    against a server that was gone, while Python's KeyboardInterrupt waited behind a restarted
    system call (`weblogs build` hung). So the SIGINT action from before the start, Python's,
    is put back once Sail has replaced it, by a watcher thread: signal.signal() works in the
    main thread only, and dbt starts the server from one of its worker threads.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    before = ctypes.create_string_buffer(_SIGACTION_BYTES)
    readable = libc.sigaction(signal.SIGINT, None, before) == 0
    server.start(background=True)
    if not readable:
        return

    def put_back(wait_seconds: float = 10.0) -> None:
        current = ctypes.create_string_buffer(_SIGACTION_BYTES)
        handler = slice(0, ctypes.sizeof(ctypes.c_void_p))  # the struct's first field
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            libc.sigaction(signal.SIGINT, None, current)
            if current.raw[handler] != before.raw[handler]:
                libc.sigaction(signal.SIGINT, before, None)
                return
            time.sleep(0.002)

    threading.Thread(target=put_back, name="weblogs-keep-sigint", daemon=True).start()


def server_url() -> str:
    """Start the in-process Sail server on first use and return its Spark Connect URL."""
    global _server
    with _lock:
        if _server is None or not _server.running:
            # Sail logs every session start and shutdown; keep the console for errors
            # unless the user asked for more.
            os.environ.setdefault("RUST_LOG", "error")
            # Sail's allocator (mimalloc) gives the pages a finished query freed back to the
            # system a second later by default; in a build, the next query often starts
            # before that and adds its own. After a tenth of a second, four cold builds at
            # 4M lines peaked at 1.82 to 2.04 GiB against 1.98 to 2.10 GiB, in the same time
            # (at 0 s, 1.35 GiB but 20% slower). mimalloc reads it when Sail's library loads.
            os.environ.setdefault("MIMALLOC_PURGE_DELAY", "100")
            # Sail removes a session idle for 15 minutes, and its next statement fails
            # ("session ... is not running"): a session of this process, kept across a
            # long pause, must keep working. 30 days.
            os.environ.setdefault("SAIL_SPARK__SESSION_TIMEOUT_SECS", str(30 * 24 * 3600))
            from pysail.spark import SparkConnectServer

            # Loopback only: the embedded engine serves this process, not the network.
            _server = SparkConnectServer(ip="127.0.0.1", port=0)
            start_keeping_sigint(_server)
        host, port = _server.listening_address
    return f"sc://{host}:{port}"


def session_conf(warehouse: Path) -> dict[str, str]:
    """Session settings shared by dbt's connection and the weblogs commands."""
    return {
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.sql.session.timeZone": "UTC",
    }


def spark_session(warehouse: Path, *, own: bool = False) -> SparkSession:
    """A Spark Connect session on the embedded server, with the warehouse catalog restored:
    the process's shared one, or with `own` a new one that no other caller can stop.

    The shared session is kept and handed out again as it is: pyspark's getOrCreate() sends
    the builder's settings to the server on every call, and dbt-spark's cursor called it
    before every statement (a thousand configuration calls in a +1% build). A stopped one is
    replaced; the engine keeps an idle one for 30 days (server_url). Created, not got:
    getOrCreate() hands back pyspark's default session whatever server it is on."""
    global _shared
    from pyspark.sql import SparkSession

    from weblogs.embedded import catalog

    with _lock:
        shared = _shared
    if not own and shared is not None and shared[0] == str(warehouse) and not shared[1].is_stopped:
        return shared[1]
    builder = SparkSession.builder.remote(server_url())
    for key, value in session_conf(warehouse).items():
        builder = builder.config(key, value)
    spark = builder.create()
    retry_undecodable_config(spark)
    catalog.restore(spark, warehouse)
    if not own:
        with _lock:
            _shared = (str(warehouse), spark)
    return spark


def resume_shared_session(warehouse: Path) -> None:
    """Ready the process's shared session for one more build of a process that builds many
    (the resident dbt child of `weblogs run`): if the engine removed it (idle past its
    limit), the next spark_session() opens a new one and restores the catalog; else its
    catalog catches up with tables other processes created or replaced since (catalog.refresh).
    Nothing when no session is open yet."""
    global _shared
    from weblogs.embedded import catalog

    with _lock:
        shared = _shared
    if shared is None or shared[0] != str(warehouse) or shared[1].is_stopped:
        return
    spark = shared[1]
    try:
        spark.sql("select 1").collect()
    except Exception:
        with _lock:
            if _shared is shared:
                _shared = None
        return
    catalog.refresh(spark, warehouse)


class UndecodableReplies(logging.Filter):
    """grpc logs a reply it cannot decode with a traceback, then fails the call: the
    traceback is kept out of the console and its last line kept for the one-line report of
    the retry (retry_undecodable_config)."""

    last = ""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Exception deserializing") and record.exc_info:
            error = record.exc_info[1]
            UndecodableReplies.last = f"{type(error).__name__}: {error}"
            return False
        return True


def retry_undecodable_config(spark: SparkSession) -> None:
    """Try a configuration call once more when the engine's reply could not be decoded.

    One `weblogs run --watch` build in CI failed on "Exception deserializing message ...
    DecodeError: Error parsing message with type 'spark.connect.ConfigResponse'": grpc could
    not parse the bytes of the reply to a configuration call. pyspark 4.2 makes one such
    call before every collect() (spark.sql.execution.pyspark.binaryAsBytes), and dbt-spark's
    cursor made another before every statement, so it is the call a build makes most (84
    in a build of a new warehouse, 2 threads). No report of the fault was found for Sail,
    pyspark or grpc; 4 threads making such calls beside 2 running Python UDFs for two
    minutes did not bring it back. A configuration call sets or reads settings, so sending
    it again is safe: once, and said in one line on stderr."""
    client = spark.client
    if getattr(client, "weblogs_config_retry", False):
        return
    grpc_log = logging.getLogger("grpc._common")
    if not any(isinstance(known, UndecodableReplies) for known in grpc_log.filters):
        grpc_log.addFilter(UndecodableReplies())
    config = client.config

    def config_once_more(operation):  # a ConfigRequest.Operation
        try:
            return config(operation)
        except Exception as error:
            if UNDECODABLE_REPLY not in str(error):
                raise
            print(
                "weblogs: the engine's reply to a configuration call could not be decoded "
                f"({UndecodableReplies.last or 'no detail'}); sending the call once more",
                file=sys.stderr,
                flush=True,
            )
            return config(operation)

    client.config = config_once_more
    client.weblogs_config_retry = True
