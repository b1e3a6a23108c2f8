"""The audit run log: who ran what, when, and how many rows each model read and wrote.

`dbt` calls :func:`snapshot` from the on-run-start hook and :func:`record` from
on-run-end (through the sail_delta adapter). Row counts come from the Delta tables
themselves, before and after the run, since the engine reports no rows_affected.
The log is an append-only Delta table, ``<warehouse>/<schema>/run_log``. Columns added
later are appended at the end and merged into an older table's schema on its next write,
so a warehouse from before them keeps its rows (null in the new columns).

Latency: the batches a run read are those newer than what the models held when it started;
the newest modification time of the files they landed from (the ledger's `file_mtime_ns`:
when the newest line was written) and each table's Delta commit give, per table, how long
the newest line took to become visible there.
"""

from __future__ import annotations

import getpass
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from weblogs.errors import without_native_panic_reports

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
        # Added later (merged into older tables): the batches read and the latency.
        pa.field("first_batch_id", pa.int64()),
        pa.field("last_batch_id", pa.int64()),
        pa.field("newest_file_modified_at", pa.timestamp("us", tz="UTC")),
        pa.field("committed_at", pa.timestamp("us", tz="UTC")),
        pa.field("latency_seconds", pa.float64()),
    ]
)
# What an invocation read, the same on each of its rows.
BATCH_INPUTS = (
    "lines_read",
    "lines_parsed",
    "lines_quarantined",
    "first_batch_id",
    "last_batch_id",
    "newest_file_modified_at",
)


@dataclass
class TableState:
    rows: int
    newest_batch: int | None
    committed_at: datetime | None = None  # the table's newest Delta commit
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
    """Rows, newest ingest batch, newest commit and version of a Delta table, from the
    statistics its log keeps for every file (the batch column is read only where a file has
    none); None if there is no table there."""
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
            scan = table.to_pyarrow_dataset().to_table(columns=[BATCH_COLUMN], use_threads=False)
            column = scan.column(0)
            newest = pc.max(column).as_py()
    if rows is None:  # a file without a row count
        rows = table.to_pyarrow_dataset().count_rows(use_threads=False)
    commits = table.history(1)
    committed_at = (
        datetime.fromtimestamp(commits[0]["timestamp"] / 1000, UTC)
        if commits and "timestamp" in commits[0]
        else None
    )
    return TableState(
        rows=rows, newest_batch=newest, committed_at=committed_at, version=table.version()
    )


def snapshot(invocation_id: str, warehouse: Path) -> RunStart:
    from weblogs.layout import delta_tables

    start = RunStart()
    for schema, table, location in delta_tables(warehouse):
        state = table_state(location)
        if state is not None:
            start.tables[f"{schema}.{table}"] = state
    _starts[invocation_id] = start
    return start


def run_start(invocation_id: str) -> RunStart:
    return _starts.get(invocation_id, RunStart())


def read_batches(
    spark, staging: str, ledger: str, start: RunStart, schema: str
) -> dict[str, object]:
    """What this run read: the lines of the batches newer than what the models held at its
    start (parsed and quarantined, from staging), those batches, and the newest modification
    time of the files they came from (from the ledger). Nulls for what cannot be read (a
    run that failed before building staging)."""
    newest = int(start.newest_merged_batch(schema))
    found: dict[str, object] = dict.fromkeys(BATCH_INPUTS)
    try:
        row = spark.sql(
            "select count(*) as lines_read,"
            " count_if(quarantine_reason is null) as lines_parsed,"
            " count_if(quarantine_reason is not null) as lines_quarantined,"
            f" min({BATCH_COLUMN}) as first_batch_id, max({BATCH_COLUMN}) as last_batch_id"
            f" from {staging} where {BATCH_COLUMN} > {newest}"
        ).collect()[0]
        found.update(row.asDict())
        if ledger and found["first_batch_id"] is not None:
            modified_ns = spark.sql(
                f"select max(file_mtime_ns) from {ledger} where batch_id between"
                f" {int(found['first_batch_id'])} and {int(found['last_batch_id'])}"
            ).collect()[0][0]
            if modified_ns is not None:
                found["newest_file_modified_at"] = _from_ns(modified_ns)
    except Exception:  # the log must be written even when the pipeline is broken
        pass
    return found


def _from_ns(nanoseconds: int) -> datetime:
    """A time in ns since the epoch, cut to microseconds exactly (a float rounds)."""
    seconds, rest = divmod(int(nanoseconds), 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest // 1000)


def _committed_now(after: TableState | None, before: TableState | None) -> datetime | None:
    """When this run committed the table: its newest commit, if that is new since the start
    (a table replaced by drop and create starts its versions again, so times are compared)."""
    if after is None or after.committed_at is None:
        return None
    if before is not None and before.committed_at == after.committed_at:
        return None
    return after.committed_at


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
    inputs: dict[str, object],
) -> int:
    """Append one row per executed node; returns the number of rows written."""
    from deltalake import write_deltalake

    start = run_start(invocation_id)
    recorded_at = datetime.now(UTC)
    rows = []
    for result in results:
        relation = result.get("relation")
        after = before = written = committed_at = latency = None
        if relation and result["materialization"] in ("table", "incremental", "seed"):
            state = table_state(warehouse / relation.replace(".", "/", 1))
            after = state.rows if state else None
            previous = start.tables.get(relation)
            before = previous.rows if previous else 0
            if after is not None:
                written = after - before if result["materialization"] == "incremental" else after
            committed_at = _committed_now(state, previous)
            modified = inputs.get("newest_file_modified_at")
            if committed_at and isinstance(modified, datetime):
                latency = (committed_at - modified).total_seconds()
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
                **{name: inputs.get(name) for name in BATCH_INPUTS},
                "message": result.get("message"),
                "committed_at": committed_at,
                "latency_seconds": latency,
            }
        )
    if rows:
        with without_native_panic_reports():
            write_deltalake(
                str(warehouse / schema / RUN_LOG_TABLE),
                pa.Table.from_pylist(rows, schema=RUN_LOG_SCHEMA),
                mode="append",
                schema_mode="merge",  # a run log from before the latest columns gains them
            )
    _starts.pop(invocation_id, None)
    return len(rows)


@dataclass(frozen=True)
class Latency:
    """How long the newest line of a build's batches took to become visible in a table."""

    last_batch_id: int
    newest_file_modified_at: datetime
    committed_at: datetime
    seconds: float


def recent_latencies(
    warehouse: Path, schema: str, node_name: str, limit: int = 20
) -> list[Latency]:
    """The latencies the run log recorded for a table, newest build first (none for a run
    log from before they were recorded)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        dataset = DeltaTable(str(warehouse / schema / RUN_LOG_TABLE)).to_pyarrow_dataset()
        rows = dataset.to_table(use_threads=False).to_pylist()
    except TableNotFoundError:
        return []
    found = [
        Latency(
            row["last_batch_id"],
            row["newest_file_modified_at"],
            row["committed_at"],
            row["latency_seconds"],
        )
        for row in rows
        if row["node_name"] == node_name and row.get("latency_seconds") is not None
    ]
    found.sort(key=lambda latency: latency.committed_at, reverse=True)
    return found[:limit]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` of the
    values at or below it."""
    ordered = sorted(values)
    rank = math.ceil(round(fraction * len(ordered), 9))  # 0.95 * 20 is 19, not 19.000...04
    return ordered[min(max(rank, 1), len(ordered)) - 1]
