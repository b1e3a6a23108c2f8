"""The PySpark peers, on classic (JVM) Spark.

- ``lab_pyspark``: the lab's code as written: ``spark.read.text``, the lab's regex with one
  ``regexp_extract`` per field, its row-at-a-time Python UDF ``parse_state`` returning a
  32-bit float, the status seed joined on a cast, the filter, the table written out. Spark's
  optimizer is left free to apply the filter before the UDF, as it would for the lab.
- ``grammar_pyspark``: PySpark applying the project's grammar and rules (same rows as the
  pipeline): the project's whole pattern in each of six ``regexp_extract`` calls.

Beside the embedded engine (``pyspark``, ``pyspark-grammar``) they run on ``local[2]``, the
Spark inside the pyspark package as installed, which has no Delta jars: they write parquet
where the lab writes a Delta table (a Delta commit adds a log entry and the files' stats to
the same parquet writes). Beside the spark target (``pyspark-delta``, weblogs_bench.spark_target)
the lab's code runs on that Spark: the same mode (``local[*]``, or a cluster of the same
shape), driver memory and Delta jars and settings as the server, and writes Delta as the
lab does.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from weblogs_bench.accounting import LAB_PATTERN
from weblogs_bench.variants import STATUS_SEED, TIMESTAMP_FORMAT

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def local_spark(application: str) -> SparkSession:
    from pyspark.sql import SparkSession

    # A classic local session: no Spark Connect address, and no Connect mode inherited from
    # a parent process that opened a Connect session (pyspark marks it in the environment).
    for name in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED"):
        os.environ.pop(name, None)
    # Python workers run this interpreter, with this environment's packages.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .appName(application)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # Row-at-a-time Python UDFs, as the lab's are (not Arrow batches).
        .config("spark.sql.execution.pythonUDF.arrow.enabled", "false")
        # The lab was written for Spark 3, where a failed cast gives null (Spark 4 raises):
        # its casts of a non-matching line's empty fields rely on that.
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def delta_spark(master: str) -> SparkSession:
    """A classic session on the spark target's Spark: `master` (local[*], or a cluster's
    URL), the server's driver memory, Delta's jars from the server's jar cache, and the
    server's Delta and shuffle settings."""
    from pyspark.sql import SparkSession

    from weblogs.spark import cluster, server
    from weblogs.spark import jars as spark_jars

    for name in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED"):
        os.environ.pop(name, None)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    local = master.startswith("local")
    builder = (
        SparkSession.builder.master(master)
        .appName("weblogs-bench-lab-delta")
        .config("spark.driver.memory", "2g" if local else "1g")
        .config("spark.driver.host", server.HOST)
        .config("spark.driver.bindAddress", server.HOST)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.pythonUDF.arrow.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config(
            "spark.jars",
            ",".join(str(path) for path in spark_jars.jar_files(spark_jars.cached_jars())),
        )
    )
    settings = {**spark_jars.SETTINGS, **({} if local else cluster.driver_settings(2))}
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def lab_pyspark(source: Path, output: Path, master: str = "") -> int:
    """The lab's code as written; the rows it writes. With `master`, on the spark target's
    Spark there, writing Delta as the lab does; else on local[2], writing parquet."""
    from pyspark.sql.functions import col, regexp_extract, udf
    from pyspark.sql.types import FloatType

    spark = delta_spark(master) if master else local_spark("weblogs-bench-lab")
    table_format = "delta" if master else "parquet"

    def parse_state(date_time: str) -> float | None:
        """The timestamp as epoch seconds, a 32-bit float; None where it is not one."""
        try:
            return datetime.strptime(date_time, TIMESTAMP_FORMAT).timestamp()
        except ValueError:
            return None

    parse_state_udf = udf(parse_state, FloatType())

    logs = spark.read.text(str(source))
    parsed = logs.select(
        regexp_extract("value", LAB_PATTERN, 1).alias("host"),
        regexp_extract("value", LAB_PATTERN, 2).alias("client_identd"),
        regexp_extract("value", LAB_PATTERN, 3).alias("user_id"),
        regexp_extract("value", LAB_PATTERN, 4).alias("date_time"),
        regexp_extract("value", LAB_PATTERN, 5).alias("method"),
        regexp_extract("value", LAB_PATTERN, 6).alias("endpoint"),
        regexp_extract("value", LAB_PATTERN, 7).alias("protocol"),
        regexp_extract("value", LAB_PATTERN, 8).cast("integer").alias("response_code"),
        regexp_extract("value", LAB_PATTERN, 9).cast("long").alias("content_size"),
    )
    timed = parsed.withColumn("timestamp", parse_state_udf(col("date_time")))
    statuses = spark.read.csv(str(STATUS_SEED), header=True)
    joined = timed.join(statuses, timed.response_code == statuses.code.cast("integer"), "left")
    network_filter = joined.filter((col("response_code") == 200) & (col("content_size") > 100))
    network_filter.write.format(table_format).mode("overwrite").save(str(output))
    rows = spark.read.format(table_format).load(str(output)).count()
    spark.stop()
    return rows


def grammar_pyspark(source: Path, output: Path, pattern: str) -> int:
    """PySpark with the project's grammar and rules; the rows it writes."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import FloatType

    spark = local_spark("weblogs-bench-grammar")

    # Row at a time: one Python call per line.
    @F.udf(FloatType(), useArrow=False)
    def parse_time(text: str | None) -> float | None:
        try:
            return datetime.strptime(text, TIMESTAMP_FORMAT).timestamp()
        except (TypeError, ValueError):
            return None

    logs = spark.read.text(str(source))
    fields = logs.select(
        F.col("value").alias("line"),
        F.regexp_extract("value", pattern, 1).alias("client_host"),
        F.regexp_extract("value", pattern, 4).alias("timestamp_text"),
        F.regexp_extract("value", pattern, 5).alias("http_method"),
        F.regexp_extract("value", pattern, 6).alias("endpoint"),
        F.regexp_extract("value", pattern, 8).alias("response_code_text"),
        F.regexp_extract("value", pattern, 9).alias("content_size_text"),
    )
    requests = (
        fields.where(
            (F.col("response_code_text") != "")
            & (F.instr("line", "\x01") == 0)
            & (F.length("content_size_text") <= 18)
        )
        .withColumn("event_epoch_seconds", parse_time("timestamp_text"))
        .where(F.col("event_epoch_seconds").isNotNull())
        .withColumn("response_code", F.col("response_code_text").cast("int"))
        .withColumn(
            "content_size_bytes",
            F.when(F.col("content_size_text") == "-", F.lit(0)).otherwise(
                F.col("content_size_text").cast("bigint")
            ),
        )
    )
    statuses = spark.read.csv(str(STATUS_SEED), header=True)
    joined = requests.join(
        statuses, requests["response_code"] == statuses["code"].cast("int"), "left"
    )
    network_filter = joined.where(
        (F.col("response_code") == 200) & (F.col("content_size_bytes") > 100)
    ).select(
        "client_host",
        "http_method",
        "endpoint",
        "response_code",
        F.col("description").alias("status_description"),
        "content_size_bytes",
        "event_epoch_seconds",
    )
    network_filter.write.mode("overwrite").parquet(str(output))
    rows = spark.read.parquet(str(output)).count()
    spark.stop()
    return rows
