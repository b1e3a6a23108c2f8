"""End to end: ingest, dbt build in fresh processes, checked against an independent count."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from contract_constraints import (
    NULL_REFUSED,
    NULL_ROW_SQL,
    constraint_properties,
    declared_not_null,
)
from deltalake import DeltaTable

from conftest import LAB_PATTERN, SHARED_LOG, Project

# The small files below hold one status code of five that the seed lacks (299), and a
# line in four is bad: the drift monitors report that as warnings here.
LOW_COVERAGE = "{status_code_coverage_threshold: 0.5, dq_monitor_severity: warn}"

TABLES = [
    "weblogs.int_access_requests_deduplicated",
    "weblogs.access_log_quarantine",
    "weblogs.network_filter",
    "weblogs.requests_by_status",
    "weblogs.http_status_codes",
]


def scalar_rows(project: Project, sql: str) -> list[dict]:
    output = project.weblogs("sql", sql, "--format", "json").stdout
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def count(project: Project, table: str) -> int:
    return scalar_rows(project, f"select count(*) as n from {table}")[0]["n"]


def checksums(project: Project, tables: Sequence[str] = TABLES) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every row, per table. One query for all
    the tables: each `weblogs sql` is a process of its own, and its start-up is the cost."""
    rows = scalar_rows(
        project,
        " union all ".join(
            f"select '{table}' as name, count(*) as n, sum(xxhash64(to_json(struct(*)))) as h"
            f" from {table}"
            for table in tables
        ),
    )
    sums = {row["name"]: (row["n"], row["h"]) for row in rows}
    assert sorted(sums) == sorted(tables) and len(rows) == len(tables), rows
    return sums


def write_on_embedded_engine(project: Project, sql: str) -> subprocess.CompletedProcess[str]:
    """One statement on the embedded engine in a process of its own (`weblogs sql` only
    reads); the warehouse's tables are attached as in any weblogs process."""
    code = (
        "import sys; from pathlib import Path; from weblogs.embedded import engine; "
        "engine.spark_session(Path(sys.argv[1])).sql(sys.argv[2]).collect()"
    )
    return project.run(sys.executable, "-c", code, str(project.warehouse), sql, check=False)


def leftover_files(folder: Path) -> dict[str, set[str]]:
    """Per table folder, data files on disk that its current Delta version does not use."""
    leftovers = {}
    for table in sorted(path for path in folder.iterdir() if (path / "_delta_log").is_dir()):
        on_disk = {
            str(path.resolve())
            for path in table.rglob("*.parquet")
            if "_delta_log" not in path.parts
        }
        in_use = {str(Path(uri).resolve()) for uri in DeltaTable(str(table)).file_uris()}
        leftovers[table.name] = on_disk - in_use
    return leftovers


# A line-by-line reference written with Python's re and datetime, independent of the SQL.
REFERENCE_LINE = re.compile(
    r'^\S+ \S+ \S+ \[(?P<time>[^\]]*)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r"(?P<status>[0-9]{3}) (?P<size>[0-9]+|-)"
    r'(?: "(?:[^"\\]|\\.)*"(?: "(?:[^"\\]|\\.)*"?)?)?\s*$'
)


@dataclass
class Reference:
    network_filter: int = 0
    parsed: int = 0
    quarantined: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


def reference_counts(log: Path) -> Reference:
    """What the pipeline must produce from a log, computed without it."""
    reference = Reference()
    for line in log.read_text(encoding="utf-8").splitlines():
        match = REFERENCE_LINE.match(line)
        usable = (
            match is not None
            and re.match(r"[^\s\"\\]+( |$)", match["request"]) is not None
            and len(match["size"]) <= 18
        )
        if usable:
            try:
                datetime.strptime(match["time"], "%d/%b/%Y:%H:%M:%S %z")
            except ValueError:
                usable = False
        if not usable:
            reference.quarantined += 1
            continue
        reference.parsed += 1
        reference.statuses[match["status"]] += 1
        size = 0 if match["size"] == "-" else int(match["size"])
        if match["status"] == "200" and size > 100:
            reference.network_filter += 1
    return reference


@pytest.mark.e2e
def test_pipeline_counts_idempotency_and_incrementality(project: Project, sample_log: Path) -> None:
    expected = reference_counts(sample_log)
    lines = len(sample_log.read_bytes().splitlines())
    assert expected.parsed + expected.quarantined == lines
    if sample_log == SHARED_LOG:
        # The lab's own count on the real log: its regex only drops lines with a "-" size.
        lab_count = sum(
            1
            for line in sample_log.read_text(encoding="utf-8").splitlines()
            if (match := LAB_PATTERN.match(line)) and match[8] == "200" and int(match[9]) > 100
        )
        assert lab_count == expected.network_filter

    project.weblogs("ingest", str(sample_log))
    project.dbt("build")

    assert count(project, "weblogs.network_filter") == expected.network_filter
    assert count(project, "weblogs.int_access_requests_deduplicated") == expected.parsed
    assert count(project, "weblogs.access_log_quarantine") == expected.quarantined
    by_status = scalar_rows(
        project, "select response_code, request_count from weblogs.requests_by_status"
    )
    assert {str(row["response_code"]): row["request_count"] for row in by_status} == dict(
        expected.statuses
    )
    first = checksums(project)
    first_tables = leftover_files(project.warehouse / "weblogs").keys()

    # A second process: the incremental models find their tables and merge into them
    # (inserting the keys they do not hold, as a merge that keeps stored rows does).
    project.dbt("build")
    assert "insert into weblogs.int_access_requests_deduplicated" in project.dbt_log()
    assert checksums(project) == first

    # The contracts' not-null columns are Delta CHECK constraints in the tables' logs, one
    # each: that build replaced the table models, whose constraints Sail keeps, without
    # adding them again (which fails).
    for model, columns in declared_not_null().items():
        table = DeltaTable(str(project.warehouse / "weblogs" / model))
        held = {key for key in table.metadata().configuration if key.startswith("delta.constr")}
        assert held == constraint_properties(columns), model

    # The same file again, and a renamed copy of it, add nothing: it is the same content.
    copy = project.workdir / "access.log.copy"
    copy.write_bytes(sample_log.read_bytes())
    again = project.weblogs("ingest", str(sample_log), str(copy))
    assert "nothing new to ingest" in again.stdout
    assert count(project, "weblogs_raw.access_log_lines") == lines
    project.dbt("build")
    assert checksums(project) == first

    # Table folders are reused. A rebuild is a new version of its table: the files of the
    # version before stay for readers until compaction vacuums them, and then none is left
    # that the current version does not use. (The builds above made those versions.)
    assert any(leftover_files(project.warehouse / "weblogs").values())
    project.weblogs("compact", "--retain-hours", "0")
    leftovers = leftover_files(project.warehouse / "weblogs")
    assert leftovers.keys() == first_tables
    assert all(not files for files in leftovers.values()), leftovers

    # One model alone, in a new process, still finds the UDF and its inputs.
    project.dbt("run", "--select", "network_filter")
    assert count(project, "weblogs.network_filter") == expected.network_filter

    # The catalog's relations and columns are the project's, whatever the log: the generated
    # one (never skipped) checks them.
    if sample_log == SHARED_LOG:
        return
    # The engine refuses a null in such a column, and the table keeps its rows.
    refused = write_on_embedded_engine(project, NULL_ROW_SQL)
    assert refused.returncode != 0 and NULL_REFUSED.search(refused.stderr), refused.stderr
    assert checksums(project)["weblogs.requests_by_status"] == first["weblogs.requests_by_status"]

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
    later = '10.0.0.3 - - [01/Aug/1995:00:00:03 -0400] "GET /c.gif HTTP/1.0" 299 300'
    rotated = tmp_path / "access.log.1"
    # The same client fetching the same file twice in one second: two requests.
    rotated.write_text(f"{request}\n{request}\n{other}\nnot a log line\n")
    # The next rotated file overlaps the previous one by its last two lines.
    current = tmp_path / "access.log"
    current.write_text(f"{other}\nnot a log line\n{later}\n")

    # One batch: both files overlap, so their common lines reach bronze twice.
    project.weblogs("ingest", str(rotated), str(current))
    project.dbt("build", "--vars", LOW_COVERAGE)

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
    # A status code the seed does not hold keeps its row, with a fallback description.
    assert scalar_rows(
        project,
        "select status_description, status_class, is_registered_status, request_count "
        "from weblogs.requests_by_status where response_code = 299",
    ) == [
        {
            "status_description": "Unknown status code 299",
            "status_class": "2xx",
            "is_registered_status": False,
            "request_count": 1,
        }
    ]

    # Late data: an old file arriving later is merged, not lost.
    late = tmp_path / "access.log.5"
    late.write_text('10.0.0.9 - - [01/Jan/1990:00:00:00 +0000] "GET /old HTTP/1.0" 200 500\n')
    project.weblogs("ingest", str(late))
    project.dbt("build", "--vars", LOW_COVERAGE)
    assert count(project, "weblogs.int_access_requests_deduplicated") == 5
    assert count(project, "weblogs.network_filter") == 4
