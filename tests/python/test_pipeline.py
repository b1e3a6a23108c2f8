"""End to end: ingest, dbt build in fresh processes, checked against an independent count."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import LAB_PATTERN, Project

TABLES = [
    "weblogs.int_access_requests_deduplicated",
    "weblogs.access_log_quarantine",
    "weblogs.network_filter",
    "weblogs.requests_by_status",
]


def scalar_rows(project: Project, sql: str) -> list[dict]:
    output = project.weblogs("sql", sql, "--format", "json").stdout
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def count(project: Project, table: str) -> int:
    return scalar_rows(project, f"select count(*) as n from {table}")[0]["n"]


def checksums(project: Project) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every row, per table."""
    sums = {}
    for table in TABLES:
        row = scalar_rows(
            project,
            f"select count(*) as n, sum(xxhash64(to_json(struct(*)))) as h from {table}",
        )[0]
        sums[table] = (row["n"], row["h"])
    return sums


def data_files(folder: Path) -> dict[str, int]:
    """Data files per table folder, leaving out Delta's versioned log."""
    return dict(
        Counter(
            path.parent.name for path in folder.rglob("*.parquet") if "_delta_log" not in path.parts
        )
    )


def independent_counts(log: Path) -> tuple[int, Counter[str]]:
    """The lab's own regex over the file: rows for network_filter, and status counts."""
    network_filter = 0
    statuses: Counter[str] = Counter()
    for line in log.read_text(encoding="utf-8").splitlines():
        match = LAB_PATTERN.match(line)
        if match is None:
            # The lab drops lines whose size is "-"; they are still requests (0 bytes).
            match = re.match(r'\S+ \S+ \S+ \[.*?\] "\S+ \S+ \S+" (\d{3}) -', line)
            assert match, f"sample line neither parses nor has a '-' size: {line}"
            statuses[match.group(1)] += 1
            continue
        statuses[match.group(8)] += 1
        if match.group(8) == "200" and int(match.group(9)) > 100:
            network_filter += 1
    return network_filter, statuses


@pytest.mark.e2e
def test_pipeline_counts_idempotency_and_incrementality(project: Project, sample_log: Path) -> None:
    expected_filter, expected_statuses = independent_counts(sample_log)
    lines = len(sample_log.read_bytes().splitlines())

    project.weblogs("ingest", str(sample_log))
    project.dbt("build")

    assert count(project, "weblogs.network_filter") == expected_filter
    parsed = count(project, "weblogs.int_access_requests_deduplicated")
    quarantined = count(project, "weblogs.access_log_quarantine")
    assert parsed + quarantined == lines
    by_status = scalar_rows(
        project, "select response_code, request_count from weblogs.requests_by_status"
    )
    assert {str(row["response_code"]): row["request_count"] for row in by_status} == dict(
        expected_statuses
    )
    first = checksums(project)
    first_files = data_files(project.warehouse / "weblogs")

    # A second process: the incremental models find their tables and merge into them.
    project.dbt("build")
    assert "merge into weblogs.int_access_requests_deduplicated" in project.dbt_log()
    assert checksums(project) == first

    # The same file again is a replay: bronze grows, the models do not change.
    project.weblogs("ingest", str(sample_log))
    assert count(project, "weblogs_raw.access_log_lines") == 2 * lines
    project.dbt("build")
    assert checksums(project) == first

    # Table folders are reused and old files removed: no new folder, no extra data file.
    project.dbt("build")
    assert data_files(project.warehouse / "weblogs") == first_files

    # One model alone, in a new process, still finds the UDF and its inputs.
    project.dbt("run", "--select", "network_filter")
    assert count(project, "weblogs.network_filter") == expected_filter

    project.dbt("docs", "generate")
    catalog = json.loads((project.workdir / "target" / "catalog.json").read_text())
    assert {node.split(".")[-1] for node in catalog["nodes"]} >= {
        "stg_apache_logs__lines",
        "int_access_requests_deduplicated",
        "int_access_requests_enriched",
        "network_filter",
        "requests_by_status",
        "access_log_quarantine",
        "http_status_codes",
    }
    assert catalog["sources"]
    # Every relation and every column it really has is documented.
    manifest = json.loads((project.workdir / "target" / "manifest.json").read_text())
    documented = {**manifest["nodes"], **manifest["sources"]}
    undocumented = [
        f"{unique_id}.{column}"
        for unique_id, entry in {**catalog["nodes"], **catalog["sources"]}.items()
        for column in entry["columns"]
        if not documented[unique_id]["columns"].get(column.lower(), {}).get("description")
    ]
    assert undocumented == []
    assert all(documented[unique_id]["description"] for unique_id in catalog["nodes"])


@pytest.mark.e2e
def test_replays_collapse_and_repeated_requests_stay(project: Project, tmp_path: Path) -> None:
    request = '10.0.0.1 - - [01/Aug/1995:00:00:01 -0400] "GET /a.gif HTTP/1.0" 200 1000'
    other = '10.0.0.2 - - [01/Aug/1995:00:00:02 -0400] "GET /b.gif HTTP/1.0" 200 2000'
    later = '10.0.0.3 - - [01/Aug/1995:00:00:03 -0400] "GET /c.gif HTTP/1.0" 404 300'
    rotated = tmp_path / "access.log.1"
    # The same client fetching the same file twice in one second: two requests.
    rotated.write_text(f"{request}\n{request}\n{other}\nnot a log line\n")
    # The next rotated file overlaps the previous one by its last two lines.
    current = tmp_path / "access.log"
    current.write_text(f"{other}\nnot a log line\n{later}\n")

    # One batch holding the same file twice, plus the overlapping file.
    project.weblogs("ingest", str(rotated), str(rotated), str(current))
    project.dbt("build")

    rows = scalar_rows(
        project,
        "select endpoint, count(*) as n from weblogs.int_access_requests_deduplicated "
        "group by endpoint order by endpoint",
    )
    assert rows == [
        {"endpoint": "/a.gif", "n": 2},
        {"endpoint": "/b.gif", "n": 1},
        {"endpoint": "/c.gif", "n": 1},
    ]
    assert count(project, "weblogs.access_log_quarantine") == 1

    # Late data: an old file arriving later is merged, not lost.
    late = tmp_path / "access.log.5"
    late.write_text('10.0.0.9 - - [01/Jan/1990:00:00:00 +0000] "GET /old HTTP/1.0" 200 500\n')
    project.weblogs("ingest", str(late))
    project.dbt("build")
    assert count(project, "weblogs.int_access_requests_deduplicated") == 5
    assert count(project, "weblogs.network_filter") == 4
