"""Data-drift monitors: values users can query, thresholds from vars, warn or fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Project


def request_line(day: int, second: int, method: str = "GET") -> str:
    return (
        f"10.0.0.{second % 250} - - [{day:02d}/Mar/2026:10:00:{second % 60:02d} +0000] "
        f'"{method} /page{second} HTTP/1.1" 200 {1000 + second}'
    )


def monitors(project: Project) -> dict[str, dict]:
    output = project.weblogs(
        "sql", "select * from weblogs.data_quality_monitors", "--format", "json"
    ).stdout
    rows = [json.loads(line) for line in output.splitlines() if line.strip()]
    return {row["monitor_name"]: row for row in rows}


def monitor_outcomes(project: Project) -> dict[str, str]:
    results = json.loads((project.workdir / "target" / "run_results.json").read_text())
    return {
        result["unique_id"]
        .split(".")[2]
        .removeprefix("monitor_within_thresholds_data_quality_monitors_"): result["status"]
        for result in results["results"]
        if "monitor_within_thresholds" in result["unique_id"]
    }


@pytest.mark.e2e
def test_monitors_judge_the_latest_batch_against_history(project: Project, tmp_path: Path) -> None:
    # Tiny data: one day only. Volume cannot be judged yet and says so.
    first_day = tmp_path / "day1.log"
    first_day.write_text("".join(request_line(1, second) + "\n" for second in range(10)))
    project.weblogs("ingest", str(first_day))
    project.dbt("build")
    found = monitors(project)
    assert found["daily_volume_change"]["measured_value"] is None
    assert found["daily_volume_change"]["status"] == "ok"
    assert found["daily_volume_change"]["explanation"].startswith("not enough history: 0 day(s)")
    assert {name: row["status"] for name, row in found.items()} == dict.fromkeys(found, "ok")

    # Three more days, ten requests each, one of them a PROPFIND: a new method warns.
    more_days = tmp_path / "days2-4.log"
    more_days.write_text(
        "".join(
            request_line(day, second, "PROPFIND" if (day, second) == (3, 5) else "GET") + "\n"
            for day in (2, 3, 4)
            for second in range(10)
        )
    )
    project.weblogs("ingest", str(more_days))
    project.dbt("build")
    found = monitors(project)
    assert found["new_methods"]["measured_value"] == 1.0
    assert found["new_methods"]["status"] == "warn"
    assert found["new_methods"]["explanation"] == "methods never seen before: PROPFIND"
    assert found["daily_volume_change"]["measured_value"] == 0.0
    assert monitor_outcomes(project)["new_methods"] == "warn"

    # Day five: one request (a PROPFIND, no longer new) and a bad line. Volume collapses
    # from an average of 10 to 1 (0.9 > 0.8 fails); one line in two is quarantined.
    last_day = tmp_path / "day5.log"
    last_day.write_text(request_line(5, 1, "PROPFIND") + "\nnot a log line\n")
    project.weblogs("ingest", str(last_day))
    build = project.dbt("build", check=False)
    assert build.returncode == 1
    found = monitors(project)
    assert found["new_methods"]["status"] == "ok"
    assert found["daily_volume_change"]["measured_value"] == pytest.approx(0.9)
    assert found["daily_volume_change"]["explanation"] == (
        "1 requests on 2026-03-05 against a daily average of 10.0 over the 4 day(s) before"
    )
    assert found["quarantine_rate"]["measured_value"] == 0.5
    assert found["quarantine_rate"]["explanation"] == "1 of 2 lines of ingest batch 3 quarantined"
    assert monitor_outcomes(project) == {
        "quarantine_rate": "fail",
        "unregistered_status_share": "pass",
        "daily_volume_change": "fail",
        "new_methods": "pass",
        "new_protocols": "pass",
    }

    # Thresholds and severity are vars: a looser volume threshold only warns, and
    # dq_monitor_severity: warn lets a failing monitor through as a warning.
    project.dbt(
        "build",
        "--select",
        "data_quality_monitors",
        "--vars",
        "{dq_daily_volume_change_fail: 0.95, dq_monitor_severity: warn}",
    )
    found = monitors(project)
    assert found["daily_volume_change"]["status"] == "warn"
    assert found["daily_volume_change"]["fail_threshold"] == 0.95
    assert monitor_outcomes(project) == {
        "quarantine_rate": "warn",
        "unregistered_status_share": "pass",
        "daily_volume_change": "warn",
        "new_methods": "pass",
        "new_protocols": "pass",
    }
