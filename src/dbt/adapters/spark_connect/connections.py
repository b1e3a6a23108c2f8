"""Connections to an Apache Spark Connect server (e.g. `weblogs spark-server start`)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from dbt.adapters.contracts.connection import Connection, ConnectionState
from dbt.adapters.exceptions import FailedToConnectError
from dbt.adapters.spark.connections import (
    SparkConnectionManager,
    SparkConnectionMethod,
    SparkCredentials,
)

from weblogs.spark.server import is_listening

# dbt-spark's session cursor asks for Hive support on every statement; over Spark Connect the
# catalog is the server's choice and pyspark warns that the static setting cannot change.
warnings.filterwarnings("ignore", message=".*spark.sql.catalogImplementation.*")


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


class SparkConnectConnectionManager(SparkConnectionManager):
    TYPE = "spark_connect"

    @classmethod
    def open(cls, connection: Connection) -> Connection:
        if connection.state == ConnectionState.OPEN:
            return connection
        from dbt.adapters.spark.session import Connection as SessionConnection
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
            SessionConnection(server_side_parameters=creds.session_parameters())
        )
        connection.state = ConnectionState.OPEN
        return connection
