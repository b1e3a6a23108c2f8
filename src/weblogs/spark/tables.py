"""The spark target's Delta tables as `weblogs status` and `weblogs compact` see them: found,
counted and compacted through the Spark Connect session, where the tables live.

Compaction is Delta's own OPTIMIZE (small files rewritten into large ones, rows unchanged)
and VACUUM (files no retained version needs, removed). Spark writes a log checkpoint every
ten commits and removes expired log entries itself, which delta-rs is asked to do on the
embedded engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from weblogs.compaction import TableCompaction, data_files_on_disk
from weblogs.quoting import quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Delta refuses VACUUM below its default retention (7 days) unless told the caller knows.
RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"


def _name(schema: str, table: str) -> str:
    return f"{quote(schema)}.{quote(table)}"


def _detail(spark: SparkSession, name: str) -> dict:
    return spark.sql(f"describe detail {name}").collect()[0].asDict()


def delta_tables(spark: SparkSession, schemas: list[str]) -> list[str]:
    """schema.table of every Delta table in these schemas (views and other formats left out)."""
    found = []
    for schema in schemas:
        if not spark.catalog.databaseExists(schema):
            continue
        for table in spark.catalog.listTables(schema):
            if table.tableType == "VIEW" or table.isTemporary:
                continue
            if _detail(spark, _name(schema, table.name)).get("format") == "delta":
                found.append(f"{schema}.{table.name}")
    return sorted(found)


def row_count(spark: SparkSession, schema: str, table: str) -> int | None:
    """Rows of a table; None when it does not exist."""
    if not spark.catalog.tableExists(f"{schema}.{table}"):
        return None
    return int(spark.sql(f"select count(*) as n from {_name(schema, table)}").collect()[0]["n"])


def local_folder(location: str) -> Path | None:
    """A table's folder when it is on this machine's file system (a file: location)."""
    parsed = urlparse(location)
    if parsed.scheme not in ("", "file"):
        return None
    folder = Path(unquote(parsed.path))
    return folder if folder.is_dir() else None


def compact_table(spark: SparkSession, table: str, *, retain_hours: float) -> TableCompaction:
    """OPTIMIZE, then VACUUM files older than `retain_hours` that no retained version needs.
    Data files on disk are counted where the table's folder is visible from here."""
    schema, name = table.split(".", 1)
    qualified = _name(schema, name)
    before = _detail(spark, qualified)
    folder = local_folder(before["location"])
    on_disk_before = data_files_on_disk(folder) if folder else None
    spark.sql(f"optimize {qualified}").collect()
    spark.conf.set(RETENTION_CHECK, "false")
    spark.sql(f"vacuum {qualified} retain {int(retain_hours)} hours").collect()
    after = _detail(spark, qualified)
    return TableCompaction(
        table=table,
        files_before=int(before["numFiles"]),
        files_after=int(after["numFiles"]),
        files_on_disk_before=on_disk_before,
        files_on_disk_after=data_files_on_disk(folder) if folder else None,
        rows=row_count(spark, schema, name) or 0,
    )


class SparkTables:
    """The spark target's Delta tables, reached through its Spark Connect session."""

    where = "on the Spark server"

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def names(self, schemas: list[str]) -> list[str]:
        return delta_tables(self.spark, schemas)

    def row_count(self, schema: str, table: str) -> int | None:
        return row_count(self.spark, schema, table)

    def compact(self, tables: list[str], *, retain_hours: float) -> list[TableCompaction]:
        return [compact_table(self.spark, table, retain_hours=retain_hours) for table in tables]
