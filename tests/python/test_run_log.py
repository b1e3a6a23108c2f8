"""The audit run log: every dbt invocation leaves one row per model and seed it ran."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from conftest import Project

GOOD = '10.0.0.{n} - - [01/Mar/2026:10:00:0{n} +0000] "GET /p{n} HTTP/1.1" 200 {size}'


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
        "access_log_quarantine",
        "network_filter",
        "requests_by_status",
        "data_quality_monitors",
        "access_log_late_arrivals",
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
