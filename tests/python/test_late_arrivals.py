"""access_log_late_arrivals: per site and batch, the requests older than the site's newest
earlier event minus the lookback, checked against the same rule applied in Python to the
log lines as they were ingested."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from test_pipeline import scalar_rows

from conftest import LAB_PATTERN, Project

LOOKBACK = timedelta(days=3)  # late_arrival_lookback_days
# The view and what it reads, with the tests of those alone (not the join test on the seed).
BUILD = ("build", "--select", "+access_log_late_arrivals", "--indirect-selection", "cautious")


def request(day: str, time: str, offset: str = "+0000", path: str = "/") -> str:
    return f'10.0.0.1 - - [{day}/Mar/2026:{time} {offset}] "GET {path} HTTP/1.1" 200 512'


# One ingest each, in order: batches 1, 2, ... A site's first batch has no watermark; an
# event exactly at the watermark is not late; offsets other than UTC; a batch of bad lines
# only is no batch of the site's requests.
BATCHES: list[tuple[str, list[str]]] = [
    ("shop", [request("10", "10:00:00"), request("10", "12:00:00", path="/a")]),
    ("blog", [request("01", "08:00:00", "-0400"), request("01", "08:30:00", "-0400", "/b")]),
    ("shop", [
        request("15", "09:00:00", "+0100"),  # 08:00 UTC: the shop's newest event
        request("05", "23:30:00", "-0500"),  # 6 Mar 04:30 UTC, before 7 Mar 12:00: late
        request("08", "00:00:00", path="/c"),  # after the watermark
    ]),
    ("shop", [
        request("12", "09:00:00", "+0100"),  # 12 Mar 08:00 UTC: the watermark itself
        request("12", "07:59:59"),  # a second before it: late
        request("14", "23:00:00"),
        request("01", "00:00:00", path="/d"),  # late by eleven days
        "not a request",
    ]),
    ("blog", [
        request("26", "08:29:59", "-0400").replace("Mar", "Feb"),  # late by a second
        request("26", "08:30:00", "-0400", "/e").replace("Mar", "Feb"),  # the watermark
    ]),
    ("shop", ["garbage", "more garbage"]),
    ("shop", [request("11", "00:00:00", path="/f"), request("13", "00:00:00", path="/g")]),
]  # fmt: skip


def event_time(line: str) -> datetime | None:
    match = LAB_PATTERN.match(line)
    return datetime.strptime(match[4], "%d/%b/%Y:%H:%M:%S %z") if match else None


def expected_late_arrivals(batches: list[tuple[str, list[str]]]) -> list[tuple]:
    """(site, batch, watermark, late requests, oldest and newest late event), times in
    epoch seconds, in batch order."""
    newest: dict[str, datetime] = {}
    found = []
    for batch_id, (site, lines) in enumerate(batches, 1):
        events = [at for at in map(event_time, lines) if at is not None]
        if not events:
            continue
        if site in newest:
            watermark = newest[site] - LOOKBACK
            late = [at for at in events if at < watermark]
            if late:
                found.append(
                    (site, batch_id, epoch(watermark), len(late), epoch(min(late)),
                     epoch(max(late)))
                )  # fmt: skip
        newest[site] = max([*events, newest.get(site, events[0])])
    return found


def epoch(at: datetime) -> int:
    return int(at.timestamp())


def late_arrivals(project: Project) -> list[tuple]:
    rows = scalar_rows(
        project,
        "select site, ingest_batch_id, unix_seconds(watermark_at) as watermark, "
        "late_request_count, unix_seconds(oldest_event_at) as oldest, "
        "unix_seconds(newest_event_at) as newest "
        "from weblogs.access_log_late_arrivals order by ingest_batch_id, site",
    )
    return [tuple(row.values()) for row in rows]


@pytest.mark.e2e
def test_late_arrivals_follow_each_sites_watermark_batch_by_batch(
    project: Project, tmp_path: Path
) -> None:
    for number, (site, lines) in enumerate(BATCHES, 1):
        log = tmp_path / f"{site}-{number}.log"
        log.write_text("".join(line + "\n" for line in lines))
        project.weblogs("ingest", str(log), "--site", site)
        # Built part way and at the end: the merged requests keep the batch each came in.
        if number in (3, len(BATCHES)):
            project.dbt(*BUILD)
            assert late_arrivals(project) == expected_late_arrivals(BATCHES[:number])
    # The rule itself, as the data above was chosen to show it.
    assert [(site, batch, count) for site, batch, _, count, _, _ in late_arrivals(project)] == [
        ("shop", 3, 1),
        ("shop", 4, 2),
        ("blog", 5, 1),
        ("shop", 7, 1),
    ]
