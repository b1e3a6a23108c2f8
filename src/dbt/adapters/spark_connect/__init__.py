from dbt.adapters.session_functions import session_functions_plugin
from dbt.adapters.spark_connect.connections import SparkConnectCredentials
from dbt.adapters.spark_connect.impl import SparkConnectAdapter
from dbt.include import spark_connect

Plugin = session_functions_plugin(
    SparkConnectAdapter, SparkConnectCredentials, spark_connect.PACKAGE_PATH, engine="spark"
)
