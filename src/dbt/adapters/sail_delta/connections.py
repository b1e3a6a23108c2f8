"""Connections for the embedded Sail engine with a persistent Delta warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbt.adapters.sail.connections import SailConnectionManager, SailCredentials
from dbt.adapters.spark.session import Connection as SessionConnection
from dbt.adapters.spark.session import SessionConnectionWrapper

from weblogs import layout
from weblogs.embedded import engine


@dataclass
class SailDeltaCredentials(SailCredentials):
    """Sail credentials plus the warehouse folder that holds every table's files."""

    warehouse: str | None = None

    @property
    def type(self) -> str:
        return "sail_delta"

    def _connection_keys(self) -> tuple[str, ...]:
        return "mode", "host", "port", "schema", "warehouse"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.warehouse = str(layout.warehouse_path(self.warehouse))


class SailDeltaConnectionManager(SailConnectionManager):
    TYPE = "sail_delta"

    @classmethod
    def _open_embedded(cls, creds: SailCredentials) -> Any:
        """Connect to the process's embedded server, with the stored catalog restored."""
        assert isinstance(creds, SailDeltaCredentials)
        warehouse = layout.warehouse_path(creds.warehouse)
        params = {**engine.session_conf(warehouse), **creds.server_side_parameters}
        # Restoring goes through the same Spark Connect session dbt then uses, so tables,
        # functions and views are visible to every statement of the run.
        engine.spark_session(warehouse)
        params["spark.remote"] = engine.server_url()
        return SessionConnectionWrapper(SessionConnection(server_side_parameters=params))
