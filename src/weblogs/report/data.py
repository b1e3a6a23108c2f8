"""What the report shows, read from the warehouse's Delta tables (no engine needed).

Each table is read at its current Delta version, so a report made during a build shows the
version before or after it, never half of one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from weblogs.freshness import Freshness, Thresholds, measure
from weblogs.report import visitors
from weblogs.text import MAX_CHARS, cut

TOP_ENDPOINTS = 10
# Tables of the models' schema the report reads, and the columns it needs of each.
COLUMNS = {
    "traffic_by_window": [
        "site", "window_start", "window_end", "request_count", "bytes_sent",
        "distinct_client_hosts", "status_4xx_count", "status_5xx_count", "is_final",
    ],
    "requests_by_status": ["response_code", "status_description", "status_class", "request_count"],
    "int_access_requests_deduplicated": ["endpoint"],
    "access_log_quarantine": ["quarantine_reason"],
    "data_quality_monitors": [
        "monitor_name", "status", "measured_value", "warn_threshold", "fail_threshold",
        "explanation",
    ],
    "network_filter": ["request_id"],
    **visitors.COLUMNS,
}  # fmt: skip


class ReportError(RuntimeError):
    """The warehouse lacks a table the report needs."""


@dataclass
class ReportData:
    warehouse: Path
    generated_at: datetime
    windows: list[dict] = field(default_factory=list)
    statuses: list[dict] = field(default_factory=list)
    top_endpoints: list[dict] = field(default_factory=list)
    quarantine_reasons: list[dict] = field(default_factory=list)
    monitors: list[dict] = field(default_factory=list)
    freshness: list[Freshness] = field(default_factory=list)
    thresholds: Thresholds | None = None
    request_count: int = 0
    quarantined_count: int = 0
    network_filter_count: int = 0
    audience: visitors.VisitorData = field(default_factory=visitors.VisitorData)

    @property
    def sites(self) -> list[str]:
        return sorted({window["site"] for window in self.windows})


def _table(warehouse: Path, schema: str, name: str, columns: list[str] | None = None):
    """A table of the models' schema at its current version (pyarrow), with `columns` (by
    default those COLUMNS names)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        table = DeltaTable(str(warehouse / schema / name))
    except TableNotFoundError:
        raise ReportError(
            f"no table {schema}.{name} in {warehouse}: build the models first (`weblogs build`)"
        ) from None
    return table.to_pyarrow_table(columns=columns or COLUMNS[name])


def _counted(table, column: str, count_name: str) -> list[dict]:
    """Rows per distinct value of a column, most frequent first (ties by value); a null
    value (a request of a method alone has no endpoint) is counted as `(none)`."""
    counts = table.group_by(column).aggregate([([], "count_all")]).to_pylist()
    rows = [
        {column: "(none)" if row[column] is None else row[column], count_name: row["count_all"]}
        for row in counts
    ]
    return sorted(rows, key=lambda row: (-row[count_name], row[column]))


def cut_endpoints(rows: list[dict], max_chars: int) -> list[dict]:
    """Endpoints cut to `max_chars` (0: whole): one request line of a megabyte made a 3 MB
    page whose endpoint table ran off it."""
    for row in rows:
        row["endpoint"] = cut(row["endpoint"], max_chars)
    return rows


def collect(
    warehouse: Path,
    schema: str,
    raw_schema: str,
    thresholds: Thresholds | None,
    max_chars: int = MAX_CHARS,
) -> ReportData:
    data = ReportData(warehouse=warehouse, generated_at=datetime.now(UTC))
    windows = _table(warehouse, schema, "traffic_by_window")
    data.windows = sorted(windows.to_pylist(), key=lambda w: (w["site"], w["window_start"]))
    statuses = _table(warehouse, schema, "requests_by_status").to_pylist()
    data.statuses = sorted(statuses, key=lambda row: row["response_code"])
    requests = _table(warehouse, schema, "int_access_requests_deduplicated")
    data.request_count = requests.num_rows
    top_endpoints = _counted(requests, "endpoint", "request_count")[:TOP_ENDPOINTS]
    data.top_endpoints = cut_endpoints(top_endpoints, max_chars)
    quarantine = _table(warehouse, schema, "access_log_quarantine")
    data.quarantined_count = quarantine.num_rows
    data.quarantine_reasons = _counted(quarantine, "quarantine_reason", "line_count")
    data.monitors = _table(warehouse, schema, "data_quality_monitors").to_pylist()
    data.network_filter_count = _table(warehouse, schema, "network_filter").num_rows
    data.audience = visitors.collect(lambda name, columns: _table(warehouse, schema, name, columns))
    if thresholds is not None:
        data.thresholds = thresholds
        data.freshness = measure(warehouse, raw_schema, thresholds, data.generated_at)
    return data
