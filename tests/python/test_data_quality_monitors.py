"""Data-drift monitors: values users can query, thresholds from vars, warn or fail."""

from __future__ import annotations

import json
import re
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


MONITOR_LINE = re.compile(
    r"\b(warn|fail) (quarantine_rate|unregistered_status_share|daily_volume_change"
    r"|new_methods|new_protocols) "
)


def monitor_outcomes(project: Project, output: str) -> tuple[str, dict[str, str]]:
    """The drift test's outcome in dbt's run results, and each monitor its lines say is
    past a threshold, with the level it passed."""
    (status,) = (
        result["status"]
        for result in project.run_results()
        if result["unique_id"].startswith("test.weblogs.data_quality_monitors_within_thresholds.")
    )
    return status, {found[2]: found[1] for found in MONITOR_LINE.finditer(output)}


@pytest.mark.e2e
def test_monitors_judge_the_latest_batch_against_history(project: Project, tmp_path: Path) -> None:
    # Tiny data: one day only, which may still be filling. Volume cannot be judged yet and
    # says so.
    first_day = tmp_path / "day1.log"
    first_day.write_text("".join(request_line(1, second) + "\n" for second in range(10)))
    project.weblogs("ingest", str(first_day))
    built = project.dbt("build")
    assert monitor_outcomes(project, built.stdout) == ("pass", {})
    found = monitors(project)
    assert found["daily_volume_change"]["measured_value"] is None
    assert found["daily_volume_change"]["status"] == "ok"
    assert found["daily_volume_change"]["explanation"] == (
        "no complete day yet: every request is from 2026-03-01, which may still be filling"
    )
    assert {name: row["status"] for name, row in found.items()} == dict.fromkeys(found, "ok")

    # Four more days, ten requests each, one of them a PROPFIND: a new method warns. The
    # newest complete day, the 4th, is judged against the three before it.
    more_days = tmp_path / "days2-5.log"
    more_days.write_text(
        "".join(
            request_line(day, second, "PROPFIND" if (day, second) == (3, 5) else "GET") + "\n"
            for day in (2, 3, 4, 5)
            for second in range(10)
        )
    )
    project.weblogs("ingest", str(more_days))
    built = project.dbt("build")
    found = monitors(project)
    assert found["new_methods"]["measured_value"] == 1.0
    assert found["new_methods"]["status"] == "warn"
    assert found["new_methods"]["explanation"] == "methods never seen before: PROPFIND"
    assert found["daily_volume_change"]["measured_value"] == 0.0
    assert monitor_outcomes(project, built.stdout) == ("warn", {"new_methods": "warn"})
    assert "warn new_methods 1 > 0: methods never seen before: PROPFIND" in built.stdout

    # Day six: one request (a PROPFIND, no longer new) and a bad line, then a request on day
    # seven, which completes day six. Its volume collapses from an average of 10 to 1 (0.9 >
    # 0.8 fails); one line in three is quarantined.
    last_day = tmp_path / "days6-7.log"
    last_day.write_text(
        request_line(6, 1, "PROPFIND") + "\nnot a log line\n" + request_line(7, 2) + "\n"
    )
    project.weblogs("ingest", str(last_day))
    build = project.dbt("build", check=False)
    assert build.returncode == 1
    found = monitors(project)
    assert found["new_methods"]["status"] == "ok"
    assert found["daily_volume_change"]["measured_value"] == pytest.approx(0.9)
    assert found["daily_volume_change"]["explanation"] == (
        "1 requests on 2026-03-06 against a daily average of 10.0 over the 5 day(s) before"
    )
    assert found["quarantine_rate"]["measured_value"] == pytest.approx(1 / 3)
    assert found["quarantine_rate"]["explanation"] == "1 of 3 lines of ingest batch 3 quarantined"
    assert monitor_outcomes(project, build.stdout) == (
        "fail",
        {"quarantine_rate": "fail", "daily_volume_change": "fail"},
    )

    # Thresholds and severity are vars: a looser volume threshold only warns, and
    # dq_monitor_severity: warn lets a failing monitor through as a warning.
    build = project.dbt(
        "build",
        "--select",
        "data_quality_monitors",
        "--vars",
        "{dq_daily_volume_change_fail: 0.95, dq_monitor_severity: warn}",
    )
    found = monitors(project)
    assert found["daily_volume_change"]["status"] == "warn"
    assert found["daily_volume_change"]["fail_threshold"] == 0.95
    # The monitor still fails its threshold; the severity makes dbt warn.
    assert monitor_outcomes(project, build.stdout) == (
        "warn",
        {"quarantine_rate": "fail", "daily_volume_change": "warn"},
    )


def ingest_lines(project: Project, path: Path, good: int, bad: int, day: int) -> None:
    """A file of its own (a day of its own: a file repeating another's lines adds nothing)."""
    path.write_text(
        "".join(request_line(day, second) + "\n" for second in range(good))
        + "".join(f"not a log line {n}\n" for n in range(bad))
    )
    project.weblogs("ingest", str(path))


@pytest.mark.e2e
def test_monitors_judge_every_batch_since_the_last_build(project: Project, tmp_path: Path) -> None:
    ingest_lines(project, tmp_path / "first.log", good=10, bad=0, day=1)
    project.dbt("build")

    # Three batches, one build: the rate is over all three (2 of 72, a warning), not over
    # the last one alone (1 of 11 would fail).
    for day, good, bad in ((2, 30, 1), (3, 30, 0), (4, 10, 1)):
        ingest_lines(project, tmp_path / f"day{day}.log", good=good, bad=bad, day=day)
    built = project.dbt("build")
    rate = monitors(project)["quarantine_rate"]
    assert (rate["first_batch_id"], rate["last_batch_id"]) == (2, 4)
    assert rate["measured_value"] == pytest.approx(2 / 72)
    assert rate["explanation"] == "2 of 72 lines of ingest batches 2-4 quarantined"
    assert (
        "warn quarantine_rate 0.0278 > 0.01: 2 of 72 lines of ingest batches 2-4 quarantined"
        in built.stdout
    )
    assert monitor_outcomes(project, built.stdout) == ("warn", {"quarantine_rate": "warn"})

    # A failing batch fails the build, and keeps failing it until a build goes through:
    # a failed build is not a build, so the next one judges the same batch again.
    # (20 requests: the daily average so far, so the volume monitor stays quiet.)
    ingest_lines(project, tmp_path / "day5.log", good=20, bad=2, day=5)
    for _ in range(2):
        failed = project.dbt("build", check=False)
        assert failed.returncode == 1
        assert (
            "fail quarantine_rate 0.0909 > 0.05: 2 of 22 lines of ingest batch 5 quarantined"
            in failed.stdout
        )
    project.dbt("build", "--vars", "{dq_monitor_severity: warn}")
    assert monitors(project)["quarantine_rate"]["status"] == "fail"

    # Nothing new since that build: nothing to judge.
    project.dbt("build")
    rate = monitors(project)["quarantine_rate"]
    assert (rate["measured_value"], rate["status"], rate["first_batch_id"]) == (None, "ok", None)
    assert rate["explanation"] == "no ingest batch since the last build"
