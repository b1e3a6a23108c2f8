"""Small files: compact the warehouse's Delta tables and remove files no version needs.

Every micro-batch commits at least one data file per table it touches, so a stream of
small batches leaves many small files. The embedded engine has no OPTIMIZE or VACUUM;
delta-rs (the deltalake package) does both on the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from weblogs import layout


@dataclass(frozen=True)
class TableCompaction:
    table: str
    files_before: int
    files_after: int
    # None where the table's folder is not visible from here (a remote Spark's storage).
    files_on_disk_before: int | None
    files_on_disk_after: int | None
    rows: int

    def summary(self) -> str:
        text = (
            f"{self.table}: {self.rows:,} rows; files in the current version "
            f"{self.files_before} -> {self.files_after}"
        )
        if self.files_on_disk_before is None or self.files_on_disk_after is None:
            return text + "; data files on disk: not visible from this machine"
        return text + (
            f"; data files on disk {self.files_on_disk_before} -> {self.files_on_disk_after}"
        )


def data_files_on_disk(location: Path) -> int:
    return sum(1 for path in location.rglob("*.parquet") if "_delta_log" not in path.parts)


def compact_table(
    location: Path, name: str, *, retain_hours: float, target_size: int | None = None
) -> TableCompaction:
    """Rewrite small files into large ones (rows unchanged), then vacuum files older than
    `retain_hours` that no retained version references, and checkpoint the log."""
    from deltalake import DeltaTable

    table = DeltaTable(str(location))
    before = len(table.file_uris())
    on_disk_before = data_files_on_disk(location)
    table.optimize.compact(target_size=target_size)
    table = DeltaTable(str(location))
    table.vacuum(
        retention_hours=int(retain_hours),
        enforce_retention_duration=False,
        dry_run=False,
    )
    table.create_checkpoint()
    table.cleanup_metadata()
    table = DeltaTable(str(location))
    return TableCompaction(
        table=name,
        files_before=before,
        files_after=len(table.file_uris()),
        files_on_disk_before=on_disk_before,
        files_on_disk_after=data_files_on_disk(location),
        rows=table.count(),
    )


def compact_warehouse(
    warehouse: Path,
    *,
    retain_hours: float = 168,
    tables: list[str] | None = None,
    min_files: int = 2,
) -> list[TableCompaction]:
    """Compact every Delta table of the warehouse (or those named as schema.table) that has
    at least `min_files` data files."""
    from deltalake import DeltaTable

    done = []
    for schema, table, location in layout.delta_tables(warehouse):
        name = f"{schema}.{table}"
        if tables and name not in tables:
            continue
        if len(DeltaTable(str(location)).file_uris()) < min_files:
            continue
        done.append(compact_table(location, name, retain_hours=retain_hours))
    return done


class WarehouseTables:
    """The embedded engine's Delta tables: files in the warehouse folder, read and compacted
    by delta-rs without the engine."""

    def __init__(self, warehouse: Path) -> None:
        self.warehouse = warehouse
        self.where = f"in {warehouse}"

    def names(self, schemas: list[str]) -> list[str]:
        # Every schema's tables: the folder holds only what this warehouse's builds wrote.
        del schemas
        return [f"{schema}.{table}" for schema, table, _ in layout.delta_tables(self.warehouse)]

    def _table(self, schema: str, table: str):  # a DeltaTable, or None where there is none
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        try:
            return DeltaTable(str(self.warehouse / schema / table))
        except TableNotFoundError:
            return None

    def row_count(self, schema: str, table: str) -> int | None:
        found = self._table(schema, table)
        return None if found is None else found.count()

    def version(self, schema: str, table: str) -> int:
        found = self._table(schema, table)
        return -1 if found is None else found.version()

    def compact(self, tables: list[str], *, retain_hours: float) -> list[TableCompaction]:
        return compact_warehouse(
            self.warehouse, retain_hours=retain_hours, tables=tables or None, min_files=1
        )
