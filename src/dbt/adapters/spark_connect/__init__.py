from dbt.adapters.base import AdapterPlugin

from dbt.adapters.spark_connect.connections import (  # noqa: F401
    SparkConnectConnectionManager,
    SparkConnectCredentials,
)
from dbt.adapters.spark_connect.impl import SparkConnectAdapter
from dbt.include import spark_connect

Plugin = AdapterPlugin(
    adapter=SparkConnectAdapter,  # type: ignore[arg-type]
    credentials=SparkConnectCredentials,
    include_path=spark_connect.PACKAGE_PATH,
    dependencies=["spark"],
)
