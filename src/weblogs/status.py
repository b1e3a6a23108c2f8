"""`weblogs status`: what is pending, what landed last, how far behind, how fresh, how
fast lines become rows, how much."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from weblogs.bronze.base import Bronze
from weblogs.bronze.delta import DeltaBronze
from weblogs.build.run_log import Latency, percentile, recent_latencies
from weblogs.build.state import built_through
from weblogs.compaction import WarehouseTables
from weblogs.freshness import Freshness, Thresholds, measure
from weblogs.ingest.offers import Limits, landing_offers
from weblogs.ingest.pieces import landed_copy, nothing_new

# Rows of a table of the models' schema, None when it does not exist.
RowCount = Callable[[str], int | None]

# Row counts shown for these tables of the models' schema when they exist.
COUNTED_TABLES = ("int_access_requests_deduplicated", "access_log_quarantine", "network_filter")
# The latency shown is the lab's table's: from a line written to its row visible there.
LATENCY_TABLE = "network_filter"


@dataclass
class Status:
    warehouse: Path
    landing: Path | None
    last_batch: int = 0
    last_batch_at: datetime | None = None
    built_through: int = 0
    pending_files: list[tuple[Path, int, float]] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lines_by_site: Counter = field(default_factory=Counter)
    table_rows: dict[str, int] = field(default_factory=dict)
    thresholds: Thresholds | None = None
    freshness: list[Freshness] = field(default_factory=list)
    latencies: list[Latency] = field(default_factory=list)
    # The warehouse folder exists (a mistyped --warehouse looked like a new warehouse).
    found: bool = True

    def render(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        missing = "" if self.found else ": no such folder, nothing has landed or been built there"
        out = [f"warehouse      {self.warehouse}{missing}"]
        if self.last_batch:
            lag = (now - self.last_batch_at).total_seconds() if self.last_batch_at else 0
            out.append(
                f"last batch     {self.last_batch} at "
                f"{self.last_batch_at:%Y-%m-%d %H:%M:%S} UTC ({_age(lag)} ago)"
            )
        else:
            out.append("last batch     none: nothing ingested yet")
        behind = self.last_batch - self.built_through
        out.append(
            f"models built   through batch {self.built_through}"
            + (f" ({behind} batch(es) behind bronze)" if behind > 0 else " (up to date)")
        )
        if self.landing is not None:
            if self.pending_files:
                size = sum(bytes_ for _, bytes_, _ in self.pending_files)
                oldest = max(age for _, _, age in self.pending_files)
                out.append(
                    f"pending        {len(self.pending_files)} file(s), {size:,} bytes in "
                    f"{self.landing}, oldest waiting {_age(oldest)}"
                )
                out.extend(f"  {path}" for path, _, _ in self.pending_files[:10])
            else:
                out.append(f"pending        nothing in {self.landing}")
        if self.statuses:
            out.append(
                "ledger         "
                + ", ".join(f"{count} {status}" for status, count in sorted(self.statuses.items()))
            )
        out.extend(self._freshness_lines())
        out.extend(self._latency_lines())
        for site, lines in sorted(self.lines_by_site.items()):
            out.append(f"site {site:<9} {lines:,} lines landed")
        for table, rows in self.table_rows.items():
            out.append(f"{table:<33} {rows:,} rows")
        return "\n".join(out)

    def _freshness_lines(self) -> list[str]:
        if self.thresholds is None:
            return []
        out = [
            f"freshness      warn after {self.thresholds.warn_after_minutes:g} min, error after "
            f"{self.thresholds.error_after_minutes:g} min (as dbt source freshness)"
        ]
        for found in self.freshness:
            seen = (
                f"newest {found.loaded_at_field} {_age(found.age_seconds)} ago"
                if found.age_seconds is not None
                else "no rows yet"
            )
            out.append(f"  {found.table:<31} {found.status}: {seen}")
        return out

    def _latency_lines(self) -> list[str]:
        if not self.latencies:
            return []
        last = self.latencies[0]
        seconds = [latency.seconds for latency in self.latencies]
        return [
            f"latency        batch {last.last_batch_id}: newest file written "
            f"{last.newest_file_modified_at:%H:%M:%S}, {LATENCY_TABLE} committed "
            f"{last.committed_at:%H:%M:%S} UTC, {last.seconds:.1f} s",
            f"               last {len(seconds)} build(s): p50 {percentile(seconds, 0.5):.1f} s, "
            f"p95 {percentile(seconds, 0.95):.1f} s",
        ]


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def collect(
    warehouse: Path,
    raw_schema: str,
    landing: Path | None,
    models_schema: str = "weblogs",
    thresholds: Thresholds | None = None,
    *,
    bronze: Bronze | None = None,
    row_count: RowCount | None = None,
) -> Status:
    """The status of a warehouse; `bronze` and `row_count` read another engine's tables
    (default: the embedded engine's Delta tables in the warehouse folder)."""
    # On a server's engine the tables are elsewhere; the folder keeps only the build state.
    status = Status(warehouse, landing, found=bronze is not None or warehouse.is_dir())
    status.built_through = built_through(warehouse)
    if bronze is None and warehouse.is_dir():
        bronze = DeltaBronze(warehouse, raw_schema)
    ledger = bronze.load_ledger() if bronze is not None else None
    if ledger is not None:
        # Loading completed the ledger from bronze: its newest batch is bronze's.
        status.last_batch = ledger.last_batch_id
        landed = [entry for entry in ledger.entries if entry.batch_id == status.last_batch]
        if landed:
            status.last_batch_at = max(entry.recorded_at for entry in landed)
        status.statuses = Counter(entry.status for entry in ledger.entries)
        for entry in ledger.entries:
            status.lines_by_site[entry.site] += entry.line_count
    if landing is not None and landing.is_dir():
        now = time.time()
        for offer in landing_offers(landing):
            stat = offer.path.stat()
            seen = ledger.last_seen(offer.site, str(offer.path)) if ledger else None
            settled = now - stat.st_mtime >= Limits().settle_seconds
            if nothing_new(seen, stat, settled):
                continue
            # A name the ledger never saw may hold lines it did (a rotated log renamed or
            # compressed): an ingest would note a duplicate and land nothing.
            if seen is None and ledger is not None and landed_copy(offer, ledger):
                continue
            status.pending_files.append((offer.path, stat.st_size, now - stat.st_mtime))
    if thresholds is not None:
        status.thresholds = thresholds
        status.freshness = measure(warehouse, raw_schema, thresholds)
    status.latencies = recent_latencies(warehouse, models_schema, LATENCY_TABLE)
    if row_count is None:
        stored = WarehouseTables(warehouse)

        def row_count(table: str) -> int | None:
            return stored.row_count(models_schema, table)

    for table in COUNTED_TABLES:
        rows = row_count(table)
        if rows is not None:
            status.table_rows[table] = rows
    return status
