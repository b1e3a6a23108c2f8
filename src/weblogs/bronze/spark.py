"""Bronze on Apache Spark: the same rows as on the embedded engine, written as Delta tables
through a Spark Connect session (the server started by `weblogs spark-server start` has
Delta's jars).

Files are identified and planned exactly as on the embedded engine (this process reads each
new byte once, to hash it and number identical lines); what lands differs. By default the
batch is sent as a plan of chunks, and Spark's executors read the files and build the rows
(`mapInArrow` over weblogs.bronze.chunks): a cluster reads in parallel, and this process
holds a plan, not the lines, so a batch may be large (PLANNED_BATCH_BYTES), paying Spark's
fixed cost per commit less often. Executors open each file at the path the ingest names,
or where WEBLOGS_SPARK_FILES_AT maps it; WEBLOGS_SPARK_READS=client sends the rows from
here instead, for executors that cannot see the files at all.

Each batch is one Delta commit of `DataFrameWriter.saveAsTable` carrying its ledger entries
(`userMetadata`) and the application transaction (`txnAppId`, `txnVersion` = batch id), as
delta-rs writes it on the embedded engine. (`insertInto` ignores both options.)

One thing is new on a server: a write keeps running there when the client that sent it
dies. A killed ingest's last batch may thus commit after the next ingest has planned the
same batch id; the transaction then lets only one of the two commit, and each write carries
an id of its own, so the one that lost is told it lost and stops (its next run starts from
the commit that won) instead of recording lines that did not land.
"""

from __future__ import annotations

import os
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
from weblogs.bronze.chunks import (
    CHUNK_BYTES,
    ChunkedPiece,
    batch_plan,
    path_map,
    piece_chunks,
    read_planned,
    unreadable_chunk,
)
from weblogs.bronze.delta import fault_point
from weblogs.ingest.ledger import LEDGER_SCHEMA, LEDGER_TABLE, Ledger, LedgerEntry, ledger_rows
from weblogs.ingest.offers import PLANNED_BATCH_BYTES, IngestError
from weblogs.ingest.pieces import Piece
from weblogs.quoting import quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# The ledger copy's own transaction: a batch's entries, written again by a write the server
# finishes after its client died, are not recorded twice.
LEDGER_APP_ID = "weblogs-ledger"
# Commits looked at to find one's own: a few more than could have landed since.
OWN_COMMIT_LOOKBACK = 10
NO_DELTA = "DATA_SOURCE_NOT_FOUND"
# What an executor's Python says when weblogs is not installed beside it.
NO_WEBLOGS = "No module named 'weblogs"
# Who reads the files an ingest lands: Spark's executors, from a plan of chunks (the
# default), or this process, which sends the rows (executors that cannot see the files).
READS_ENV = "WEBLOGS_SPARK_READS"
EXECUTORS, CLIENT = "executors", "client"
# Where executors find files they do not see at this process's path (weblogs.bronze.chunks).
FILES_AT_ENV = "WEBLOGS_SPARK_FILES_AT"

_SPARK_TYPES = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.timestamp("us", tz="UTC"): "timestamp",
}


def spark_columns(schema: pa.Schema) -> str:
    """An Arrow schema's columns as Spark DDL."""
    return ", ".join(
        f"{quote(field.name)} {_SPARK_TYPES[field.type]}" + ("" if field.nullable else " not null")
        for field in schema
    )


def table_ddl(raw_schema: str, table: str, schema: pa.Schema) -> str:
    """CREATE TABLE of a Delta table on Spark, its columns read from an Arrow schema."""
    columns = spark_columns(schema)
    return f"create table if not exists {quote(raw_schema)}.{quote(table)} ({columns}) using delta"


def raw_table_ddl(raw_schema: str) -> str:
    return table_ddl(raw_schema, RAW_TABLE, RAW_SCHEMA)


class SparkBronze(Bronze):
    """Bronze and its ledger as Delta tables of a Spark Connect session. `create` makes the
    schema and both tables where they are missing (a reader such as `weblogs status` does
    not)."""

    def __init__(
        self,
        spark: SparkSession,
        raw_schema: str,
        *,
        create: bool = True,
        reads: str | None = None,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.spark, self.raw_schema = spark, raw_schema
        self._known: set[str] = set()
        self.reads = reads or os.environ.get(READS_ENV) or EXECUTORS
        if self.reads not in (EXECUTORS, CLIENT):
            raise IngestError(
                f"{READS_ENV}={self.reads!r}: say who reads the files, {EXECUTORS} (the "
                f"default) or {CLIENT}"
            )
        self.chunk_bytes = chunk_bytes
        try:
            self.read_from = path_map(os.environ.get(FILES_AT_ENV, ""))
        except ValueError as error:
            raise IngestError(f"{FILES_AT_ENV}: {error}") from None
        if self.reads == EXECUTORS:
            self.batch_bytes = PLANNED_BATCH_BYTES
            # Planning the next batch while Spark writes this one.
            self.lands_in_background = True
        if create:
            spark.sql(f"create schema if not exists {quote(raw_schema)}")
            for table, schema in ((RAW_TABLE, RAW_SCHEMA), (LEDGER_TABLE, LEDGER_SCHEMA)):
                if not self._exists(table):
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
        # A bare max(), which Delta answers from the files' statistics without reading them.
        row = self.spark.sql(
            f"select max(ingest_batch_id) as batch_id from {self._name(RAW_TABLE)}"
        ).collect()[0]
        return int(row["batch_id"] or 0)

    def _exists(self, table: str) -> bool:
        """Asked before reading (rather than catching the error): pyspark logs every failed
        query as an ERROR line, which a reader such as `weblogs status` must not print
        before anything was ingested."""
        # A table found stays there: asked once (a catalog call each).
        if table not in self._known and self.spark.catalog.tableExists(
            f"{self.raw_schema}.{table}"
        ):
            self._known.add(table)
        return table in self._known

    def _carried(self, limit: int) -> list[str | None]:
        """The commit metadata of bronze's newest commits."""
        history = self.spark.sql(f"describe history {self._name(RAW_TABLE)} limit {int(limit)}")
        return [row["userMetadata"] for row in history.select("userMetadata").collect()]

    def _append(self, table: str, data: pa.Table | DataFrame, options: dict[str, str]) -> None:
        frame = self.spark.createDataFrame(data) if isinstance(data, pa.Table) else data
        writer = frame.write.format("delta").mode("append")
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

    def keep(self, piece: Piece) -> Piece | ChunkedPiece:
        """Executors read the files: a batch holds the plan of a piece, not its lines."""
        if isinstance(piece, ChunkedPiece):
            return piece
        if self.reads == CLIENT:
            return super().keep(piece)
        return piece_chunks(piece, self.chunk_bytes, self.read_from)

    def rows(self, pieces: list[Piece] | list[ChunkedPiece], batch_id: int) -> DataFrame:
        """A micro-batch's rows: read by the executors from a plan of chunks, or sent from
        here (the client's rows, for executors that cannot see the files)."""
        ingested_at = datetime.now(UTC)
        if self.reads == CLIENT:
            return self.spark.createDataFrame(bronze_batch(pieces, batch_id, ingested_at))
        plan = batch_plan([self.keep(piece) for piece in pieces], batch_id, ingested_at)
        return self.spark.createDataFrame(plan).mapInArrow(read_planned, spark_columns(RAW_SCHEMA))

    def land(self, pieces: list[Piece] | list[ChunkedPiece], batch_id: int) -> list[LedgerEntry]:
        """One bronze commit carrying its ledger entries, then the ledger copy."""
        entries = landed_entries(pieces, batch_id)
        write_id = uuid.uuid4().hex
        try:
            self._append(
                RAW_TABLE,
                self.rows(pieces, batch_id),
                {
                    "txnAppId": APP_ID,
                    "txnVersion": str(batch_id),
                    "userMetadata": carried_entries(batch_id, entries, write_id),
                },
            )
        except Exception as error:
            if NO_WEBLOGS in str(error):
                raise IngestError(
                    "Spark's executors cannot import weblogs, which reads the files there: "
                    "install weblogs beside the Python the server names (PYSPARK_PYTHON) on "
                    f"every worker, or set {READS_ENV}={CLIENT} to send the lines from this "
                    "machine (docs/targets.md)"
                ) from None
            unreadable = unreadable_chunk(error)
            if unreadable is None:
                raise
            raise IngestError(
                f"a Spark executor could not read {unreadable}; nothing of batch {batch_id} "
                "was committed. Executors read each file at the path this ingest names: "
                "mount the logs at that path on every worker, say where executors find them "
                f"with {FILES_AT_ENV}=PREFIX=LOCATION, or set {READS_ENV}={CLIENT} to send "
                "the lines from this machine (docs/targets.md)"
            ) from None
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
