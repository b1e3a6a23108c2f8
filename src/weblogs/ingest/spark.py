"""Bronze on Apache Spark: the same rows as on the embedded engine, written as parquet
through a Spark Connect session (the JVM cannot read Delta without the Delta jars).

Files are read and identified exactly as on the embedded engine; only the writes differ.
The ledger is a parquet table next to bronze, written after each batch's insert: parquet
has no commit that could carry both, so a crash between the two lands that batch again on
the next run, and the merge models collapse the replayed lines (their request ids are the
same).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from weblogs.catalog import quote
from weblogs.ingest.bronze import RAW_SCHEMA, RAW_TABLE, Bronze, bronze_batch, landed_entries
from weblogs.ingest.ledger import LEDGER_SCHEMA, LEDGER_TABLE, Ledger, LedgerEntry, ledger_rows
from weblogs.ingest.pieces import Piece

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_SPARK_TYPES = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.timestamp("us", tz="UTC"): "timestamp",
}


def table_ddl(raw_schema: str, table: str, schema: pa.Schema) -> str:
    """CREATE TABLE on Spark, its columns read from an Arrow schema."""
    columns = ", ".join(
        f"{quote(field.name)} {_SPARK_TYPES[field.type]}" + ("" if field.nullable else " not null")
        for field in schema
    )
    return (
        f"create table if not exists {quote(raw_schema)}.{quote(table)} ({columns}) using parquet"
    )


def raw_table_ddl(raw_schema: str) -> str:
    return table_ddl(raw_schema, RAW_TABLE, RAW_SCHEMA)


class SparkBronze(Bronze):
    """Bronze and its ledger as parquet tables of a Spark Connect session."""

    def __init__(self, spark: SparkSession, raw_schema: str) -> None:
        self.spark, self.raw_schema = spark, raw_schema
        spark.sql(f"create schema if not exists {quote(raw_schema)}")
        spark.sql(raw_table_ddl(raw_schema))
        spark.sql(table_ddl(raw_schema, LEDGER_TABLE, LEDGER_SCHEMA))

    def _name(self, table: str) -> str:
        return f"{quote(self.raw_schema)}.{quote(table)}"

    def load_ledger(self) -> Ledger:
        return Ledger.from_rows(self.spark.table(self._name(LEDGER_TABLE)).toArrow().to_pylist())

    def committed_batch_id(self) -> int:
        row = self.spark.sql(
            f"select coalesce(max(ingest_batch_id), 0) as batch_id from {self._name(RAW_TABLE)}"
        ).collect()[0]
        return int(row["batch_id"])

    def _insert(self, table: str, data: pa.Table) -> None:
        self.spark.createDataFrame(data).write.insertInto(self._name(table))

    def land(self, pieces: list[Piece], batch_id: int) -> list[LedgerEntry]:
        entries = landed_entries(pieces, batch_id)
        self._insert(RAW_TABLE, bronze_batch(pieces, batch_id, datetime.now(UTC)))
        self.record(entries)
        return entries

    def record(self, notes: list[LedgerEntry]) -> None:
        if notes:
            self._insert(LEDGER_TABLE, ledger_rows(notes))
