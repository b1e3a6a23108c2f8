"""dbt-spark over Spark Connect, with Python function nodes registered in the session."""

from __future__ import annotations

from dbt.adapters.base.meta import available
from dbt.adapters.base.relation import AdapterTrackingRelationInfo
from dbt.adapters.contracts.relation import RelationConfig
from dbt.adapters.spark.impl import SparkAdapter

from dbt.adapters import __about__ as about
from dbt.adapters.spark_connect import __version__ as adapter_version
from dbt.adapters.spark_connect.connections import (
    SparkConnectConnectionManager,
    SparkConnectCredentials,
)
from dbt.adapters.spark_connect.relation import SparkConnectRelation
from weblogs import catalog


class SparkConnectAdapter(SparkAdapter):
    ConnectionManager = SparkConnectConnectionManager
    Relation = SparkConnectRelation  # type: ignore[assignment]

    @classmethod
    def type(cls) -> str:
        return "spark_connect"

    @classmethod
    def get_adapter_run_info(cls, config: RelationConfig) -> AdapterTrackingRelationInfo:
        # dbt derives the module from the class name ("sparkconnect"); ours has an underscore.
        return AdapterTrackingRelationInfo(
            adapter_name=cls.type(),
            base_adapter_version=about.version,
            adapter_version=adapter_version.version,
            model_adapter_details=cls._get_adapter_specific_run_info(config),
        )

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
    def register_python_udf(
        self, name: str, source: str, entry_point: str, return_type: str
    ) -> str:
        """Register a vectorized Python UDF in dbt's Spark Connect session.

        The server runs it in Python workers of its own (PYSPARK_PYTHON), which need the
        UDF's imports (pandas, pyarrow).
        """
        definition = catalog.FunctionDefinition(
            name=name, source=source, entry_point=entry_point, return_type=return_type
        )
        catalog.register_function(self._session(), definition)
        return name

    @available
    def create_raw_layer(self, raw_schema: str) -> str:
        """Create the bronze table and the ledger empty if missing, as `weblogs ingest` would,
        so the models build (empty) before the first ingest."""
        from weblogs.spark_ingest import SparkBronze

        SparkBronze(self._session(), raw_schema)
        return ""
