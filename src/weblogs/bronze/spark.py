"""Bronze on Apache Spark: the same rows as on the embedded engine, written as Delta tables
through a Spark Connect session (the server started by `weblogs spark-server start` has
Delta's jars).

Files are read, identified and planned exactly as on the embedded engine; only the writes
differ. Each batch is one Delta commit of `DataFrameWriter.saveAsTable` carrying its ledger
entries (`userMetadata`) and the application transaction (`txnAppId`, `txnVersion` = batch
id), as delta-rs writes it on the embedded engine. (`insertInto` ignores both options.)

One thing is new on a server: a write keeps running there when the client that sent it
dies. A killed ingest's last batch may thus commit after the next ingest has planned the
same batch id; the transaction then lets only one of the two commit, and each write carries
an id of its own, so the one that lost is told it lost and stops (its next run starts from
the commit that won) instead of recording lines that did not land.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from weblogs.bronze.base import (
    APP_ID,
    RAW_SCHEMA,
    RAW_TABLE,
    Bronze,
    bronze_batch,
    carried_entries,
    entries_from_commits,
    landed_entries,
)
from weblogs.bronze.delta import fault_point
from weblogs.ingest.ledger import LEDGER_SCHEMA, LEDGER_TABLE, Ledger, LedgerEntry, ledger_rows
from weblogs.ingest.offers import IngestError
from weblogs.ingest.pieces import Piece
from weblogs.quoting import quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The ledger copy's own transaction: a batch's entries, written again by a write the server
# finishes after its client died, are not recorded twice.
LEDGER_APP_ID = "weblogs-ledger"
# Commits looked at to find one's own: a few more than could have landed since.
OWN_COMMIT_LOOKBACK = 10
NO_DELTA = "DATA_SOURCE_NOT_FOUND"

_SPARK_TYPES = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.timestamp("us", tz="UTC"): "timestamp",
}


def table_ddl(raw_schema: str, table: str, schema: pa.Schema) -> str:
    """CREATE TABLE of a Delta table on Spark, its columns read from an Arrow schema."""
    columns = ", ".join(
        f"{quote(field.name)} {_SPARK_TYPES[field.type]}" + ("" if field.nullable else " not null")
        for field in schema
    )
    return f"create table if not exists {quote(raw_schema)}.{quote(table)} ({columns}) using delta"


def raw_table_ddl(raw_schema: str) -> str:
    return table_ddl(raw_schema, RAW_TABLE, RAW_SCHEMA)


class SparkBronze(Bronze):
    """Bronze and its ledger as Delta tables of a Spark Connect session. `create` makes the
    schema and both tables where they are missing (a reader such as `weblogs status` does
    not)."""

    def __init__(self, spark: SparkSession, raw_schema: str, *, create: bool = True) -> None:
        self.spark, self.raw_schema = spark, raw_schema
        if create:
            spark.sql(f"create schema if not exists {quote(raw_schema)}")
            for table, schema in ((RAW_TABLE, RAW_SCHEMA), (LEDGER_TABLE, LEDGER_SCHEMA)):
                self._create(table_ddl(raw_schema, table, schema))

    def _create(self, ddl: str) -> None:
        try:
            self.spark.sql(ddl)
        except Exception as error:
            if NO_DELTA in str(error) and "delta" in str(error).lower():
                raise IngestError(
                    "the Spark Connect server has no Delta Lake: start it with "
                    "`weblogs spark-server start`, or give yours the Delta jars and settings "
                    "(docs/targets.md)"
                ) from None
            raise

    def _name(self, table: str) -> str:
        return f"{quote(self.raw_schema)}.{quote(table)}"

    def load_ledger(self) -> Ledger:
        """The ledger table, completed from bronze if a crash fell between the two commits."""
        if not self._exists(LEDGER_TABLE):
            return Ledger()
        ledger = Ledger.from_rows(self.spark.table(self._name(LEDGER_TABLE)).toArrow().to_pylist())
        committed = self.committed_batch_id()
        if committed > ledger.last_batch_id:
            repaired = entries_from_commits(
                self._carried(4 * (committed - ledger.last_batch_id) + 16),
                ledger.last_batch_id,
                committed,
            )
            self._append_ledger(repaired, transaction=committed)
            for entry in repaired:
                ledger.add(entry)
        return ledger

    def committed_batch_id(self) -> int:
        """The newest batch in bronze. Its rows and its transaction commit together, and a
        batch always has rows, so this is the transaction's version."""
        if not self._exists(RAW_TABLE):
            return 0
        row = self.spark.sql(
            f"select coalesce(max(ingest_batch_id), 0) as batch_id from {self._name(RAW_TABLE)}"
        ).collect()[0]
        return int(row["batch_id"])

    def _exists(self, table: str) -> bool:
        """Asked before reading (rather than catching the error): pyspark logs every failed
        query as an ERROR line, which a reader such as `weblogs status` must not print
        before anything was ingested."""
        return self.spark.catalog.tableExists(f"{self.raw_schema}.{table}")

    def _carried(self, limit: int) -> list[str | None]:
        """The commit metadata of bronze's newest commits."""
        history = self.spark.sql(f"describe history {self._name(RAW_TABLE)} limit {int(limit)}")
        return [row["userMetadata"] for row in history.select("userMetadata").collect()]

    def _append(self, table: str, data: pa.Table, options: dict[str, str]) -> None:
        writer = self.spark.createDataFrame(data).write.format("delta").mode("append")
        for key, value in options.items():
            writer = writer.option(key, value)
        writer.saveAsTable(self._name(table))

    def _append_ledger(self, entries: list[LedgerEntry], transaction: int | None) -> None:
        if not entries:
            return
        options = {}
        if transaction is not None:
            options = {"txnAppId": LEDGER_APP_ID, "txnVersion": str(transaction)}
        self._append(LEDGER_TABLE, ledger_rows(entries), options)

    def land(self, pieces: list[Piece], batch_id: int) -> list[LedgerEntry]:
        """One bronze commit carrying its ledger entries, then the ledger copy."""
        entries = landed_entries(pieces, batch_id)
        write_id = uuid.uuid4().hex
        self._append(
            RAW_TABLE,
            bronze_batch(pieces, batch_id, datetime.now(UTC)),
            {
                "txnAppId": APP_ID,
                "txnVersion": str(batch_id),
                "userMetadata": carried_entries(batch_id, entries, write_id),
            },
        )
        if not any(write_id in (text or "") for text in self._carried(OWN_COMMIT_LOOKBACK)):
            raise IngestError(
                f"batch {batch_id} was committed meanwhile by an earlier ingest that the Spark "
                "server finished after it was stopped; this ingest stopped without landing "
                "more: run it again to land the rest"
            )
        fault_point("after-bronze-commit")
        self._append_ledger(entries, transaction=batch_id)
        return entries

    def record(self, notes: list[LedgerEntry]) -> None:
        self._append_ledger(notes, transaction=None)
