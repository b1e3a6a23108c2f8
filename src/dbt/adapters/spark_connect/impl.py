"""dbt-spark over Spark Connect, with Python function nodes registered in the session."""

from __future__ import annotations

from dbt.adapters.base.meta import available
from dbt.adapters.spark.impl import SparkAdapter

from dbt.adapters.session_functions.impl import SessionFunctionsAdapter
from dbt.adapters.spark_connect.connections import (
    SparkConnectConnectionManager,
    SparkConnectCredentials,
)


class SparkConnectAdapter(SessionFunctionsAdapter, SparkAdapter):
    ConnectionManager = SparkConnectConnectionManager

    @classmethod
    def type(cls) -> str:
        return "spark_connect"

    def _session(self):  # pyspark is imported lazily, so no return annotation
        from pyspark.sql import SparkSession

        credentials = self.config.credentials
        assert isinstance(credentials, SparkConnectCredentials)
        # The same builder settings as dbt's cursor, so this is the session dbt runs in.
        builder = SparkSession.builder
        for key, value in credentials.session_parameters().items():
            builder = builder.config(key, value)
        return builder.getOrCreate()

    @available
    def create_raw_layer(self, raw_schema: str) -> str:
        """Create the bronze table and the ledger empty if missing, as `weblogs ingest` would,
        so the models build (empty) before the first ingest."""
        from weblogs.ingest import SparkBronze

        SparkBronze(self._session(), raw_schema)
        return ""
