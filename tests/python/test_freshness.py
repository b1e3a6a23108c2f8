"""Source freshness: `dbt source freshness` checks bronze and the ledger on the embedded
engine, and `weblogs status` judges them the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from deltalake import DeltaTable

from conftest import PROJECT_DIR, Project
from weblogs.freshness import Thresholds, measure, project_thresholds

LINE = '10.0.0.1 - - [01/Mar/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1234\n'
SOURCES = ("apache_logs.access_log_lines", "apache_logs.ingest_ledger")


def freshness(project: Project, *vars_: str) -> tuple[int, dict[str, dict]]:
    result = project.dbt("source", "freshness", *vars_, check=False)
    found = json.loads((project.workdir / "target" / "sources.json").read_text())["results"]
    return result.returncode, {row["unique_id"].split(".", 2)[2]: row for row in found}


@pytest.mark.e2e
def test_freshness_passes_on_fresh_data_and_warns_or_errors_past_its_thresholds(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A machine outside UTC: the times dbt reports must still be UTC.
    monkeypatch.setenv("TZ", "America/New_York")
    # Nothing landed yet: empty tables are as stale as can be.
    code, found = freshness(project)
    assert code == 1
    assert {name: row["status"] for name, row in found.items()} == dict.fromkeys(SOURCES, "error")

    log = tmp_path / "access.log"
    log.write_text(LINE)
    project.weblogs("ingest", str(log))
    code, found = freshness(project)
    assert code == 0
    assert {name: row["status"] for name, row in found.items()} == dict.fromkeys(SOURCES, "pass")
    bronze = DeltaTable(str(project.warehouse / "weblogs_raw" / "access_log_lines"))
    ingested_at = bronze.to_pyarrow_table(columns=["ingested_at"]).column(0)[0].as_py()
    loaded = datetime.fromisoformat(found[SOURCES[0]]["max_loaded_at"])
    assert loaded == ingested_at
    assert 0 < found[SOURCES[0]]["max_loaded_at_time_ago_in_s"] < 600
    assert found[SOURCES[0]]["criteria"]["warn_after"] == {"count": 1440, "period": "minute"}

    # The thresholds are vars: data older than the warn threshold warns (exit 0), older
    # than the error threshold fails.
    code, found = freshness(project, "--vars", "{source_freshness_warn_after_minutes: 0}")
    assert code == 0
    assert {name: row["status"] for name, row in found.items()} == dict.fromkeys(SOURCES, "warn")
    code, found = freshness(
        project,
        "--vars",
        "{source_freshness_warn_after_minutes: 0, source_freshness_error_after_minutes: 0}",
    )
    assert code == 1
    assert {name: row["status"] for name, row in found.items()} == dict.fromkeys(SOURCES, "error")

    status = project.weblogs("status").stdout
    assert "freshness      warn after 1440 min, error after 4320 min" in status
    assert "  weblogs_raw.access_log_lines    pass: newest ingested_at" in status
    assert "  weblogs_raw.ingest_ledger       pass: newest recorded_at" in status

    # The same tables judged later, with the clock moved on: a day and a minute old warns,
    # three days and a minute fails (the status's verdicts, at a chosen now).
    thresholds = project_thresholds(PROJECT_DIR)
    assert thresholds == Thresholds(1440, 4320)
    for later, verdict in (
        (timedelta(days=1, minutes=1), "warn"),
        (timedelta(days=3, minutes=1), "error"),
    ):
        judged = measure(project.warehouse, "weblogs_raw", thresholds, now=ingested_at + later)
        assert [row.status for row in judged] == [verdict, verdict]


def test_thresholds_judge_as_dbt_does() -> None:
    thresholds = Thresholds(warn_after_minutes=10, error_after_minutes=60)
    assert thresholds.judge(600) == "pass"  # exactly the threshold is not past it
    assert thresholds.judge(601) == "warn"
    assert thresholds.judge(3601) == "error"
    assert thresholds.judge(None) == "error"  # a table without rows
    assert measure(Path("/nonexistent"), "weblogs_raw", thresholds, datetime.now(UTC))[
        0
    ].status == ("error")
