"""The embedded engine: one Sail Spark Connect server per process, and sessions on it."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

WAREHOUSE_ENV = "WEBLOGS_WAREHOUSE"
DEFAULT_WAREHOUSE = "warehouse"

_lock = threading.Lock()
_server = None


def warehouse_path(configured: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse folder, absolute: the argument, else $WEBLOGS_WAREHOUSE, else ./warehouse.

    Sail resolves relative table locations against its own working directory, so every
    location handed to it is made absolute here.
    """
    raw = configured or os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE
    return Path(raw).expanduser().resolve()


def server_url() -> str:
    """Start the in-process Sail server on first use and return its Spark Connect URL."""
    global _server
    with _lock:
        if _server is None or not _server.running:
            # Sail logs every session start and shutdown; keep the console for errors
            # unless the user asked for more.
            os.environ.setdefault("RUST_LOG", "error")
            from pysail.spark import SparkConnectServer

            # Loopback only: the embedded engine serves this process, not the network.
            _server = SparkConnectServer(ip="127.0.0.1", port=0)
            _server.start(background=True)
        host, port = _server.listening_address
    return f"sc://{host}:{port}"


def session_conf(warehouse: Path) -> dict[str, str]:
    """Session settings shared by dbt's connection and the weblogs commands."""
    return {
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.sql.session.timeZone": "UTC",
    }


def spark_session(warehouse: Path) -> SparkSession:
    """A Spark Connect session on the embedded server, with the warehouse catalog restored."""
    from pyspark.sql import SparkSession

    from weblogs import catalog

    builder = SparkSession.builder.remote(server_url())
    for key, value in session_conf(warehouse).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    catalog.restore(spark, warehouse)
    return spark
