"""Connections to an Apache Spark Connect server (e.g. `weblogs spark-server start`)."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

from dbt.adapters.contracts.connection import Connection, ConnectionState
from dbt.adapters.exceptions import FailedToConnectError
from dbt.adapters.spark.connections import (
    SparkConnectionManager,
    SparkConnectionMethod,
    SparkCredentials,
)
from dbt_common.exceptions import DbtRuntimeError

from weblogs.spark.server import is_listening


@dataclass
class SparkConnectCredentials(SparkCredentials):
    """A Spark Connect server: host and port, plus session settings."""

    host: str = "127.0.0.1"  # type: ignore[assignment]
    port: int = 15002
    method: SparkConnectionMethod = SparkConnectionMethod.SESSION  # type: ignore[assignment]

    @property
    def type(self) -> str:
        return "spark_connect"

    @property
    def unique_field(self) -> str:
        return self.remote_url

    @property
    def remote_url(self) -> str:
        return f"sc://{self.host}:{self.port}"

    def _connection_keys(self) -> tuple[str, ...]:
        return "host", "port", "schema"

    def session_parameters(self) -> dict[str, str]:
        """Settings of the session dbt opens, with the server to open it on."""
        return {
            "spark.sql.session.timeZone": "UTC",
            **self.server_side_parameters,
            "spark.remote": self.remote_url,
        }


_sessions: dict[tuple[tuple[str, str], ...], Any] = {}
_sessions_lock = threading.Lock()


def connected_session(parameters: dict[str, str]):  # a pyspark SparkSession
    """The Spark Connect session with these settings, opened once per process and shared by
    dbt's threads (the Python UDFs are registered in it).

    dbt-spark's session cursor asks the session builder for it at every statement, and over
    Spark Connect the builder sends the session's settings to the server each time: a round
    trip before every statement of a build. Created, not got: getOrCreate() hands back
    pyspark's default session whatever server it is on (the embedded engine's, in a
    process that used both)."""
    from pyspark.sql import SparkSession

    key = tuple(sorted(parameters.items()))
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None or session.is_stopped:
            builder = SparkSession.builder
            for name, value in parameters.items():
                builder = builder.config(name, value)
            session = _sessions[key] = builder.create()
        return session


def forget_lost_sessions() -> None:
    """Forget the sessions of this process that no longer answer (the server restarted
    since, or removed them): the next connection opens a new one. For a process that builds
    many times (the resident dbt child of `weblogs run`)."""
    with _sessions_lock:
        sessions = list(_sessions.items())
    for key, session in sessions:
        try:
            session.sql("select 1").collect()
        except Exception:
            with _sessions_lock:
                if _sessions.get(key) is session:
                    del _sessions[key]


def close_sessions() -> None:
    """Stop the sessions this process opened (before their server stops: pyspark retries
    releasing an open one at interpreter exit)."""
    with _sessions_lock:
        sessions = list(_sessions.values())
        _sessions.clear()
    for session in sessions:
        session.stop()


@functools.cache
def _session_connection() -> type:
    """dbt-spark's session connection, whose cursors run on the session opened once
    (connected_session) rather than on the builder's at every statement. Made on first use:
    dbt-spark's session module imports pyspark, which dbt's parse and compile do without."""
    from dbt.adapters.spark.session import Connection, Cursor
    from pyspark.errors import AnalysisException
    from pyspark.sql.conversion import ArrowTableToRowsConversion
    from pyspark.sql.pandas.types import from_arrow_schema

    class SessionCursor(Cursor):
        """Rows and their columns in one round trip: dbt reads a result's columns, then its
        rows, and dbt-spark's cursor asked the server for each (an analysis of the query,
        then its run, then a setting the run's conversion reads)."""

        def execute(self, sql: str, *parameters: Any) -> None:
            if parameters:
                sql = sql % parameters
            self._rows, self._schema = None, None
            try:
                self._df = connected_session(self.server_side_parameters).sql(sql)
            except AnalysisException as error:
                raise DbtRuntimeError(str(error)) from error

        def _fetch(self) -> None:
            if self._rows is not None or self._df is None:
                return
            table, schema = self._df._to_table()
            self._schema = schema or from_arrow_schema(table.schema, prefer_timestamp_ntz=True)
            # Binary values as bytes: Spark's default, which dbt's sessions never change.
            self._rows = ArrowTableToRowsConversion.convert(
                table, self._schema, binary_as_bytes=True
            )

        @property
        def description(self) -> list[tuple]:
            if self._df is None:
                return []
            self._fetch()
            return [
                (field.name, field.dataType.simpleString(), None, None, None, None, field.nullable)
                for field in self._schema.fields
            ]

        def fetchall(self) -> list | None:
            self._fetch()
            return self._rows

    class SessionConnection(Connection):
        def cursor(self) -> Cursor:
            return SessionCursor(server_side_parameters=self.server_side_parameters)

    return SessionConnection


class SparkConnectConnectionManager(SparkConnectionManager):
    TYPE = "spark_connect"

    @classmethod
    def open(cls, connection: Connection) -> Connection:
        if connection.state == ConnectionState.OPEN:
            return connection
        from dbt.adapters.spark.session import SessionConnectionWrapper

        creds: Any = connection.credentials
        assert isinstance(creds, SparkConnectCredentials)
        if not is_listening(creds.host, creds.port, timeout=3.0):
            connection.state = ConnectionState.FAIL
            raise FailedToConnectError(
                f"no Spark Connect server at {creds.remote_url}. Start one with "
                "`weblogs spark-server start`, or point WEBLOGS_SPARK_HOST and "
                "WEBLOGS_SPARK_PORT at a running server."
            )
        connection.handle = SessionConnectionWrapper(
            _session_connection()(server_side_parameters=creds.session_parameters())
        )
        connection.state = ConnectionState.OPEN
        return connection
