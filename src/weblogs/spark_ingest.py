"""The bronze table on Apache Spark: the same rows as `weblogs ingest`, written as parquet
through a Spark Connect session (the JVM cannot read Delta without the Delta jars)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from weblogs.catalog import quote
from weblogs.ingest import (
    RAW_SCHEMA,
    RAW_TABLE,
    IngestResult,
    expand_paths,
    file_batch,
    warehouse_lock,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_SPARK_TYPES = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.timestamp("us", tz="UTC"): "timestamp",
}


def raw_table_ddl(raw_schema: str) -> str:
    """CREATE TABLE for bronze on Spark, its columns read from RAW_SCHEMA."""
    columns = ", ".join(
        f"{quote(field.name)} {_SPARK_TYPES[field.type]}" + ("" if field.nullable else " not null")
        for field in RAW_SCHEMA
    )
    return (
        f"create table if not exists {quote(raw_schema)}.{quote(RAW_TABLE)} ({columns}) "
        "using parquet"
    )


def last_batch_id(spark: SparkSession, raw_schema: str) -> int:
    row = spark.sql(
        f"select coalesce(max(ingest_batch_id), 0) as batch_id "
        f"from {quote(raw_schema)}.{quote(RAW_TABLE)}"
    ).collect()[0]
    return int(row["batch_id"])


def ingest(
    paths: Iterable[str | Path], warehouse: Path, raw_schema: str, spark: SparkSession
) -> IngestResult:
    """Append every line of the given files to bronze on Spark, as one batch in one insert."""
    files = expand_paths(paths)
    with warehouse_lock(warehouse):
        spark.sql(f"create schema if not exists {quote(raw_schema)}")
        spark.sql(raw_table_ddl(raw_schema))
        batch_id = last_batch_id(spark, raw_schema) + 1
        ingested_at = datetime.now(UTC)
        batches = [file_batch(path, batch_id, ingested_at) for path in files]
        lines = sum(batch.num_rows for batch in batches)
        if lines == 0:
            return IngestResult(batch_id=None, files=len(files), lines=0, latin1_lines=0)
        latin1 = sum(pc.sum(pc.equal(batch.column(1), "latin-1")).as_py() or 0 for batch in batches)
        table = pa.Table.from_batches([batch for batch in batches if batch.num_rows], RAW_SCHEMA)
        spark.createDataFrame(table).write.insertInto(f"{quote(raw_schema)}.{quote(RAW_TABLE)}")
    return IngestResult(batch_id=batch_id, files=len(files), lines=lines, latin1_lines=latin1)
