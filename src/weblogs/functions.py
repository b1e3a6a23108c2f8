"""Python functions for SQL: a dbt function node's Python source registered as a vectorized
UDF in a Spark session, on the embedded engine and on Apache Spark alike."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The embedded engine (Sail 0.7.2) once failed a UDF's registration in a new process with
# "internal error: task context not found for operation" (CI, `weblogs sql` restoring the
# catalog on a busy machine); the cause was not found.
LOST_TASK_CONTEXT = "task context not found for operation"


@dataclass(frozen=True)
class FunctionDefinition:
    """A Python UDF: its source, the function in it to call, and the SQL type it returns. The
    embedded engine's catalog stores it, so its code travels with the warehouse."""

    name: str
    source: str
    entry_point: str
    return_type: str


def register_function(spark: SparkSession, definition: FunctionDefinition) -> None:
    """Register a vectorized (pandas, batch iterator) Python UDF in the session."""
    from pyspark.sql.functions import pandas_udf

    namespace: dict[str, Any] = {"__name__": f"weblogs_udf_{definition.name}"}
    exec(compile(definition.source, f"<udf {definition.name}>", "exec"), namespace)
    try:
        entry_point = namespace[definition.entry_point]
    except KeyError:
        raise ValueError(
            f"UDF {definition.name}: entry point {definition.entry_point!r} is not defined "
            "in its source"
        ) from None
    # The return type is parsed by this session: a DDL string would be parsed by whichever
    # session pyspark last made active, which may be a stopped one.
    return_type = spark.sql(f"select cast(null as {definition.return_type}) as value").schema[0]
    udf = pandas_udf(entry_point, return_type.dataType)
    try:
        spark.udf.register(definition.name, udf)
    except Exception as error:
        if LOST_TASK_CONTEXT not in str(error):
            raise
        # Registering again replaces the function, so a second call is safe.
        print(
            f"weblogs: the engine lost the registration of {definition.name} "
            f"({LOST_TASK_CONTEXT}); registering it once more",
            file=sys.stderr,
            flush=True,
        )
        spark.udf.register(definition.name, udf)
