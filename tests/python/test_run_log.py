"""The audit run log: every dbt invocation leaves one row per model and seed it ran."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import Project

GOOD = '10.0.0.{n} - - [01/Mar/2026:10:00:0{n} +0000] "GET /p{n} HTTP/1.1" 200 {size}'


def utc(text: str) -> datetime:
    """A time as `weblogs sql` prints it (UTC, without a zone)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run_log(project: Project) -> list[dict]:
    output = project.weblogs(
        "sql",
        "select * from weblogs.run_log order by recorded_at, node_name",
        "--format",
        "json",
    ).stdout
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.mark.e2e
def test_each_run_records_rows_read_parsed_quarantined_and_written(
    project: Project, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_text(
        "".join(GOOD.format(n=n, size=1000 + n) + "\n" for n in range(1, 5)) + "bad line\n"
    )
    project.weblogs("ingest", str(log))
    # A few bad lines in five: the drift monitors only warn in this run.
    project.dbt("build", "--vars", "{dq_monitor_severity: warn}")

    first = {row["node_name"]: row for row in run_log(project)}
    assert len({row["invocation_id"] for row in first.values()}) == 1
    assert set(first) == {
        "http_status_codes",
        "stg_apache_logs__lines",
        "int_access_requests_deduplicated",
        "int_access_requests_enriched",
        "int_request_tallies_by_batch",
        "access_log_quarantine",
        "network_filter",
        "requests_by_status",
        "data_quality_monitors",
        "access_log_late_arrivals",
        "traffic_by_window",
        "requests_by_agent",
        "visitors_by_day",
        "referring_sites",
        "not_found_paths",
    }
    requests = first["int_access_requests_deduplicated"]
    assert (requests["lines_read"], requests["lines_parsed"], requests["lines_quarantined"]) == (
        5,
        4,
        1,
    )
    assert (requests["rows_before"], requests["rows_after"], requests["rows_written"]) == (0, 4, 4)
    quarantine = first["access_log_quarantine"]
    assert (quarantine["rows_before"], quarantine["rows_written"]) == (0, 1)
    assert first["network_filter"]["rows_written"] == 4
    # Staging is an incremental table: it stores each line once, parsed.
    assert first["stg_apache_logs__lines"]["rows_written"] == 5
    assert first["int_access_requests_enriched"]["rows_written"] is None  # a view holds none
    for row in first.values():
        assert row["status"] == "success"
        assert row["user_name"] == getpass.getuser()
        assert row["command"] == "dbt build"
        assert row["target_name"] == "local"

    # The file grew by one line: only that line lands, and the merge writes one row.
    log.write_text(log.read_text() + GOOD.format(n=9, size=2000) + "\n")
    project.weblogs("ingest", str(log))
    # Staging parses the new batch first; the merges then take it from there.
    project.dbt(
        "run", "--select", "stg_apache_logs__lines", "int_access_requests_deduplicated",
        "access_log_quarantine",
    )  # fmt: skip

    rows = run_log(project)
    second = [row for row in rows if row["invocation_id"] != requests["invocation_id"]]
    assert {row["node_name"] for row in second} == {
        "stg_apache_logs__lines",
        "int_access_requests_deduplicated",
        "access_log_quarantine",
    }
    by_name = {row["node_name"]: row for row in second}
    merged = by_name["int_access_requests_deduplicated"]
    assert merged["command"] == (
        "dbt run --select stg_apache_logs__lines int_access_requests_deduplicated "
        "access_log_quarantine"
    )
    assert (merged["lines_read"], merged["lines_parsed"], merged["lines_quarantined"]) == (1, 1, 0)
    assert (merged["rows_before"], merged["rows_after"], merged["rows_written"]) == (4, 5, 1)
    assert by_name["access_log_quarantine"]["rows_written"] == 0


@pytest.mark.e2e
def test_a_run_log_from_before_the_latency_columns_gains_them(
    project: Project, tmp_path: Path
) -> None:
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    from weblogs.build.run_log import RUN_LOG_SCHEMA

    # A warehouse whose run log was written before the batch and latency columns existed.
    older = pa.schema([field for field in RUN_LOG_SCHEMA if field.name != "first_batch_id"][:19])
    assert older.names[-1] == "message"
    old_row = {name: None for name in older.names} | {
        "invocation_id": "older", "run_started_at": datetime(2026, 1, 1, tzinfo=UTC),
        "recorded_at": datetime(2026, 1, 1, tzinfo=UTC), "user_name": "u", "command": "dbt run",
        "target_name": "local", "node_id": "model.weblogs.network_filter",
        "node_name": "network_filter", "resource_type": "model", "status": "success",
    }  # fmt: skip
    location = project.warehouse / "weblogs" / "run_log"
    write_deltalake(str(location), pa.Table.from_pylist([old_row], schema=older))

    log = tmp_path / "access.log"
    log.write_text("".join(GOOD.format(n=n, size=1000 + n) + "\n" for n in range(1, 5)))
    written_ns = log.stat().st_mtime_ns
    project.weblogs("ingest", str(log))
    project.dbt("build")

    table = DeltaTable(str(location))
    assert table.schema().to_arrow().names == RUN_LOG_SCHEMA.names
    rows = {(row["invocation_id"], row["node_name"]): row for row in run_log(project)}
    assert rows[("older", "network_filter")]["latency_seconds"] is None
    latest = next(
        row for (invocation, name), row in rows.items()
        if invocation != "older" and name == "network_filter"
    )  # fmt: skip
    assert (latest["first_batch_id"], latest["last_batch_id"]) == (1, 1)
    modified = utc(latest["newest_file_modified_at"])
    seconds, rest = divmod(written_ns, 1_000_000_000)
    assert modified == datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest // 1000)
    committed = utc(latest["committed_at"])
    assert committed > modified
    assert latest["latency_seconds"] == pytest.approx((committed - modified).total_seconds())
    # A view commits nothing, so it has no latency.
    enriched = next(
        row for (invocation, name), row in rows.items()
        if invocation != "older" and name == "int_access_requests_enriched"
    )  # fmt: skip
    assert enriched["committed_at"] is None and enriched["first_batch_id"] == 1

    status = project.weblogs("status").stdout
    assert f"latency        batch 1: newest file written {modified:%H:%M:%S}, network_filter" in (
        status
    )
    assert f"{latest['latency_seconds']:.1f} s" in status
