"""The audit run log: who ran what, when, and how many rows each model read and wrote.

`dbt` calls :func:`snapshot` from the on-run-start hook and :func:`record` from
on-run-end (through the sail_delta adapter). Row counts come from the Delta tables
themselves, before and after the run, since the engine reports no rows_affected.
The log is an append-only Delta table, ``<warehouse>/<schema>/run_log``.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

RUN_LOG_TABLE = "run_log"
BATCH_COLUMN = "ingest_batch_id"

RUN_LOG_SCHEMA = pa.schema(
    [
        pa.field("invocation_id", pa.string(), nullable=False),
        pa.field("run_started_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("user_name", pa.string(), nullable=False),
        pa.field("command", pa.string(), nullable=False),
        pa.field("target_name", pa.string(), nullable=False),
        pa.field("node_id", pa.string(), nullable=False),
        pa.field("node_name", pa.string(), nullable=False),
        pa.field("resource_type", pa.string(), nullable=False),
        pa.field("materialization", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("execution_seconds", pa.float64()),
        pa.field("rows_before", pa.int64()),
        pa.field("rows_after", pa.int64()),
        pa.field("rows_written", pa.int64()),
        pa.field("lines_read", pa.int64()),
        pa.field("lines_parsed", pa.int64()),
        pa.field("lines_quarantined", pa.int64()),
        pa.field("message", pa.string()),
    ]
)


@dataclass
class TableState:
    rows: int
    newest_batch: int | None
    version: int = 0  # the Delta version read


@dataclass
class RunStart:
    """What the warehouse held when the invocation started."""

    tables: dict[str, TableState] = field(default_factory=dict)

    def newest_merged_batch(self, schema: str) -> int:
        """The newest ingest batch the schema's tables held: lines of later batches are
        what this run reads."""
        batches = [
            state.newest_batch
            for name, state in self.tables.items()
            if name.startswith(f"{schema}.") and state.newest_batch is not None
        ]
        return max(batches, default=0)


_starts: dict[str, RunStart] = {}


def table_state(location: Path) -> TableState | None:
    """Rows and newest ingest batch of a Delta table, from the statistics its log keeps for
    every file (the batch column is read only where a file has none); None if there is no
    table there."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        table = DeltaTable(str(location))
    except TableNotFoundError:
        return None
    files = pa.table(table.get_add_actions(flatten=True))
    rows = pc.sum(files.column("num_records")).as_py() if files.num_rows else 0
    newest = None
    if BATCH_COLUMN in table.schema().to_arrow().names and files.num_rows:
        maximum = f"max.{BATCH_COLUMN}"
        if maximum in files.column_names and files.column(maximum).null_count == 0:
            newest = pc.max(files.column(maximum)).as_py()
        else:
            column = table.to_pyarrow_dataset().to_table(columns=[BATCH_COLUMN]).column(0)
            newest = pc.max(column).as_py()
    if rows is None:  # a file without a row count
        rows = table.to_pyarrow_dataset().count_rows()
    return TableState(rows=rows, newest_batch=newest, version=table.version())


def snapshot(invocation_id: str, warehouse: Path) -> RunStart:
    from weblogs.catalog import delta_tables

    start = RunStart()
    for schema, table, location in delta_tables(warehouse):
        state = table_state(location)
        if state is not None:
            start.tables[f"{schema}.{table}"] = state
    _starts[invocation_id] = start
    return start


def run_start(invocation_id: str) -> RunStart:
    return _starts.get(invocation_id, RunStart())


def count_new_lines(spark, relation: str, start: RunStart, schema: str) -> dict[str, int | None]:
    """Lines of the batches this run read, parsed and quarantined, from the staging view;
    nulls when the view cannot be read (a run that failed before building it)."""
    newest = start.newest_merged_batch(schema)
    try:
        row = spark.sql(
            "select count(*) as lines_read,"
            " count_if(quarantine_reason is null) as lines_parsed,"
            " count_if(quarantine_reason is not null) as lines_quarantined"
            f" from {relation} where {BATCH_COLUMN} > {int(newest)}"
        ).collect()[0]
    except Exception:  # the log must be written even when the pipeline is broken
        return dict.fromkeys(("lines_read", "lines_parsed", "lines_quarantined"))
    return row.asDict()


def user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid, no USER variable
        return f"uid {os.getuid()}"


def record(
    warehouse: Path,
    schema: str,
    invocation_id: str,
    run_started_at: datetime,
    command: str,
    target_name: str,
    results: list[dict],
    lines: dict[str, int | None],
) -> int:
    """Append one row per executed node; returns the number of rows written."""
    from deltalake import write_deltalake

    start = run_start(invocation_id)
    recorded_at = datetime.now(UTC)
    rows = []
    for result in results:
        relation = result.get("relation")
        after = before = written = None
        if relation and result["materialization"] in ("table", "incremental", "seed"):
            state = table_state(warehouse / relation.replace(".", "/", 1))
            after = state.rows if state else None
            previous = start.tables.get(relation)
            before = previous.rows if previous else 0
            if after is not None:
                written = after - before if result["materialization"] == "incremental" else after
        rows.append(
            {
                "invocation_id": invocation_id,
                "run_started_at": run_started_at,
                "recorded_at": recorded_at,
                "user_name": user_name(),
                "command": command,
                "target_name": target_name,
                "node_id": result["node_id"],
                "node_name": result["node_name"],
                "resource_type": result["resource_type"],
                "materialization": result["materialization"],
                "status": result["status"],
                "execution_seconds": result["execution_seconds"],
                "rows_before": before,
                "rows_after": after,
                "rows_written": written,
                "lines_read": lines.get("lines_read"),
                "lines_parsed": lines.get("lines_parsed"),
                "lines_quarantined": lines.get("lines_quarantined"),
                "message": result.get("message"),
            }
        )
    if rows:
        write_deltalake(
            str(warehouse / schema / RUN_LOG_TABLE),
            pa.Table.from_pylist(rows, schema=RUN_LOG_SCHEMA),
            mode="append",
        )
    _starts.pop(invocation_id, None)
    return len(rows)
