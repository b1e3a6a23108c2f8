"""weblogs: Apache access logs to a Delta lakehouse, built with dbt on Spark."""

__version__ = "0.1.0"
