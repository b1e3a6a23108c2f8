"""Connections for the embedded Sail engine with a persistent Delta warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbt.adapters.sail.connections import SailConnectionManager, SailCredentials
from dbt.adapters.spark.session import Connection as SessionConnection
from dbt.adapters.spark.session import Cursor as SessionCursor
from dbt.adapters.spark.session import SessionConnectionWrapper
from dbt_common.exceptions import DbtRuntimeError

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


class WarehouseCursor(SessionCursor):
    """dbt-spark's session cursor, running each statement in the warehouse's session as it
    is. dbt-spark's own asked pyspark for the session before every statement, and pyspark
    then sent the connection's settings to the engine again: one configuration call per
    statement, the settings unchanged since the session opened (engine.spark_session)."""

    def __init__(self, warehouse: Path) -> None:
        super().__init__()
        self.warehouse = warehouse

    def execute(self, sql: str, *parameters: Any) -> None:
        from pyspark.errors import AnalysisException

        if parameters:
            sql = sql % parameters
        try:
            self._df = engine.spark_session(self.warehouse).sql(sql)
        except AnalysisException as exc:
            raise DbtRuntimeError(str(exc)) from exc


class WarehouseConnection(SessionConnection):
    def __init__(self, warehouse: Path) -> None:
        super().__init__()
        self.warehouse = warehouse

    def cursor(self) -> WarehouseCursor:
        return WarehouseCursor(self.warehouse)


class SailDeltaConnectionManager(SailConnectionManager):
    TYPE = "sail_delta"

    @classmethod
    def _open_embedded(cls, creds: SailCredentials) -> Any:
        """Connect to the process's embedded server, with the stored catalog restored."""
        assert isinstance(creds, SailDeltaCredentials)
        warehouse = layout.warehouse_path(creds.warehouse)
        # Restoring goes through the same Spark Connect session dbt then uses, so tables,
        # functions and views are visible to every statement of the run.
        spark = engine.spark_session(warehouse)
        if creds.server_side_parameters:
            spark.conf._set_all(configs=dict(creds.server_side_parameters), silent=True)
        return SessionConnectionWrapper(WarehouseConnection(warehouse))
