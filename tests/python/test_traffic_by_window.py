"""traffic_by_window: tumbling event-time windows per site, built incrementally through
several batches (a late file among them), checked against the requests they count."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from deltalake import DeltaTable

from conftest import Project

WINDOW = 5 * 60  # traffic_window_minutes
DELAY = timedelta(minutes=10)  # traffic_watermark_delay_minutes
# The models the windows read, the windows, and the tests on them alone.
BUILD = ("build", "--select", "+traffic_by_window+", "--indirect-selection", "cautious")
TIMESTAMP = re.compile(r"\[([^\]]*)\]")

# A second site: a window with a client and a server error, a request on a window's
# boundary, and a newest request whose watermark (08:10) is exactly the end of the second.
BLOG_LINES = [
    '10.9.0.1 - - [02/Mar/2026:08:00:01 +0000] "GET /post/1 HTTP/1.1" 200 5120',
    '10.9.0.2 - - [02/Mar/2026:08:01:30 +0000] "GET /post/2 HTTP/1.1" 404 310',
    '10.9.0.2 - - [02/Mar/2026:08:04:59 +0000] "POST /comment HTTP/1.1" 503 -',
    '10.9.0.1 - - [02/Mar/2026:08:05:00 +0000] "GET /post/3 HTTP/1.1" 200 800',
    '10.9.0.3 - - [02/Mar/2026:08:20:00 +0000] "GET / HTTP/1.1" 200 1000',
]


def event_epoch(line: str) -> float | None:
    match = TIMESTAMP.search(line)
    try:
        return datetime.strptime(match[1], "%d/%b/%Y:%H:%M:%S %z").timestamp() if match else None
    except ValueError:
        return None


def split_by_event_time(log: Path, folder: Path) -> tuple[Path, Path, Path]:
    """The log's lines in event-time order, cut in three: early, middle and late events.
    The early/middle cut falls inside a window, so the middle part, landed last, brings
    requests to a window that is final by then. Lines without a time go with the first."""
    lines = log.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    timed = sorted(((event_epoch(line) or 0.0, line) for line in lines), key=lambda x: x[0])
    cut = len(timed) * 2 // 5
    while timed[cut - 1][0] // WINDOW != timed[cut][0] // WINDOW:
        cut += 1
    parts = timed[:cut], timed[cut : len(timed) * 7 // 10], timed[len(timed) * 7 // 10 :]
    paths = []
    for name, part in zip(("early", "middle", "late-events"), parts, strict=True):
        path = folder / f"{name}.log"
        path.write_text(
            "".join(line + "\n" for _, line in part), encoding="utf-8", errors="surrogateescape"
        )
        paths.append(path)
    return paths[0], paths[1], paths[2]


def windows(project: Project) -> dict[tuple[str, datetime], dict]:
    table = DeltaTable(str(project.warehouse / "weblogs" / "traffic_by_window"))
    return {(row["site"], row["window_start"]): row for row in table.to_pyarrow_table().to_pylist()}


def expected_windows(project: Project) -> dict[tuple[str, datetime], dict]:
    """The windows computed in Python from the stored requests, finality included."""
    requests = DeltaTable(str(project.warehouse / "weblogs" / "int_access_requests_deduplicated"))
    columns = ["site", "event_epoch_seconds", "content_size_bytes", "client_host", "response_code"]
    found: dict[tuple[str, datetime], dict] = {}
    hosts: dict[tuple[str, datetime], set[str]] = defaultdict(set)
    newest: dict[str, datetime] = {}
    for request in requests.to_pyarrow_table(columns=columns).to_pylist():
        epoch = request["event_epoch_seconds"]
        at = datetime.fromtimestamp(epoch, UTC)
        start = datetime.fromtimestamp(epoch // WINDOW * WINDOW, UTC)
        key = (request["site"], start)
        window = found.setdefault(
            key,
            {"request_count": 0, "bytes_sent": 0, "status_4xx_count": 0, "status_5xx_count": 0,
             "last_event_at": at, "window_end": start + timedelta(seconds=WINDOW)},
        )  # fmt: skip
        window["request_count"] += 1
        window["bytes_sent"] += request["content_size_bytes"]
        window["status_4xx_count"] += 400 <= request["response_code"] <= 499
        window["status_5xx_count"] += 500 <= request["response_code"] <= 599
        window["last_event_at"] = max(window["last_event_at"], at)
        hosts[key].add(request["client_host"])
        newest[request["site"]] = max(newest.get(request["site"], at), at)
    for (site, start), window in found.items():
        window["distinct_client_hosts"] = len(hosts[(site, start)])
        window["is_final"] = window["window_end"] <= newest[site] - DELAY
    return found


def request_counts(project: Project) -> dict[str, int]:
    requests = DeltaTable(str(project.warehouse / "weblogs" / "int_access_requests_deduplicated"))
    counts: dict[str, int] = defaultdict(int)
    for site in requests.to_pyarrow_table(columns=["site"]).column(0).to_pylist():
        counts[site] += 1
    return dict(counts)


def last_merge_source_rows(project: Project) -> int:
    """Windows the last run recomputed: the rows its MERGE into the table read."""
    table = DeltaTable(str(project.warehouse / "weblogs" / "traffic_by_window"))
    last = table.history(1)[0]
    assert last["operation"] == "MERGE", last["operation"]
    return last["operationMetrics"]["numSourceRows"]


def batch_windows(project: Project, batch_id: int) -> list[tuple[dict, datetime]]:
    """The requests a batch brought, each with the start of its window."""
    requests = DeltaTable(str(project.warehouse / "weblogs" / "int_access_requests_deduplicated"))
    rows = requests.to_pyarrow_table(
        columns=["site", "event_epoch_seconds", "ingest_batch_id"]
    ).to_pylist()
    return [
        (row, datetime.fromtimestamp(row["event_epoch_seconds"] // WINDOW * WINDOW, UTC))
        for row in rows
        if row["ingest_batch_id"] == batch_id
    ]


def check_windows(project: Project) -> dict[tuple[str, datetime], dict]:
    """The table equals the windows computed from the requests; per site and in all, the
    windows' requests add up to the requests."""
    stored, expected = windows(project), expected_windows(project)
    assert stored.keys() == expected.keys()
    for key, want in expected.items():
        got = stored[key]
        assert {name: got[name] for name in want} == want, key
    per_site: dict[str, int] = defaultdict(int)
    for (site, _), row in stored.items():
        per_site[site] += row["request_count"]
    assert dict(per_site) == request_counts(project)
    assert sum(per_site.values()) == sum(request_counts(project).values())
    return stored


@pytest.mark.e2e
def test_windows_add_up_through_batches_and_a_late_file(
    project: Project, sample_log: Path, tmp_path: Path
) -> None:
    early, middle, late_events = split_by_event_time(sample_log, tmp_path)
    blog = tmp_path / "blog.log"
    blog.write_text("".join(line + "\n" for line in BLOG_LINES))

    project.weblogs("ingest", str(early), "--site", "shop")
    project.dbt(*BUILD)
    check_windows(project)

    # Later events and a second site: the watermark moves on, early windows turn final.
    project.weblogs("ingest", str(late_events), "--site", "shop")
    project.weblogs("ingest", str(blog), "--site", "blog")
    project.dbt(*BUILD)
    before = check_windows(project)
    blog_windows = [row for (site, _), row in sorted(before.items()) if site == "blog"]
    assert [
        (row["window_start"].strftime("%H:%M"), row["request_count"], row["bytes_sent"],
         row["status_4xx_count"], row["status_5xx_count"], row["distinct_client_hosts"],
         row["is_final"])
        for row in blog_windows
    ] == [
        ("08:00", 3, 5430, 1, 1, 2, True),
        ("08:05", 1, 800, 0, 0, 1, True),
        ("08:20", 1, 1000, 0, 0, 1, False),
    ]  # fmt: skip

    # The middle of the log lands last: its oldest requests fall into a window that is
    # final already. That window is recomputed from all its requests, nothing is dropped,
    # and the final windows the late file does not touch are not recomputed.
    open_windows = {key for key, row in before.items() if not row["is_final"]}
    project.weblogs("ingest", str(middle), "--site", "shop")
    project.dbt(*BUILD)
    after = check_windows(project)
    late_windows = {(row["site"], start) for row, start in batch_windows(project, 4)}
    shared_key = min(late_windows)
    assert before[shared_key]["is_final"]
    assert after[shared_key]["request_count"] > before[shared_key]["request_count"]
    assert after[shared_key]["is_final"]
    assert last_merge_source_rows(project) == len(late_windows | open_windows)
    untouched = [key for key, row in before.items() if row["is_final"] and key not in late_windows]
    assert untouched and all(after[key] == before[key] for key in untouched)
    # Each MERGE read its source from a table staged for it, out of the schema's folder
    # (no reader lists it), and dropped with its files.
    folders = [path.name for path in (project.warehouse / "weblogs").iterdir()]
    assert [name for name in folders if "__dbt_" in name] == []
    assert list((project.warehouse / "_scratch").glob("*/*")) == []
    listed = project.weblogs("sql", "show tables", "--format", "csv").stdout
    assert "traffic_by_window," in listed and "__dbt_" not in listed


@pytest.mark.e2e
def test_a_lost_window_fails_the_data_test_and_a_new_length_needs_a_rebuild(
    project: Project, tmp_path: Path
) -> None:
    blog = tmp_path / "blog.log"
    blog.write_text("".join(line + "\n" for line in BLOG_LINES))
    project.weblogs("ingest", str(blog), "--site", "blog")
    project.dbt(*BUILD)

    # A window lost behind dbt's back: the windows no longer add up to the requests.
    DeltaTable(str(project.warehouse / "weblogs" / "traffic_by_window")).delete(
        "site = 'blog' and request_count = 3"
    )
    lost = project.dbt("test", "--select", "assert_traffic_windows_add_up_to_requests", check=False)
    assert lost.returncode == 1
    assert "Failure in test assert_traffic_windows_add_up_to_requests" in lost.stdout

    # Windows of another length cannot be merged into the stored ones: one line says how
    # to rebuild, and the rebuild counts every request again.
    ten_minutes = "{traffic_window_minutes: 10}"
    refused = project.dbt(
        "build", "--select", "traffic_by_window", "--vars", ten_minutes, check=False
    )
    assert refused.returncode == 1
    assert (
        "holds 5-minute windows and traffic_window_minutes is 10: rebuild it with "
        "`dbt build --select traffic_by_window --full-refresh`"
    ) in refused.stdout
    project.dbt("build", *BUILD[1:], "--full-refresh", "--vars", ten_minutes)
    assert [
        (start.strftime("%H:%M"), row["window_end"].strftime("%H:%M"), row["request_count"])
        for (_, start), row in sorted(windows(project).items())
    ] == [("08:00", "08:10", 4), ("08:20", "08:30", 1)]

    zero = project.dbt(
        "build",
        "--select",
        "traffic_by_window",
        "--vars",
        "{traffic_window_minutes: 0}",
        check=False,
    )
    assert zero.returncode != 0
    assert "var traffic_window_minutes must be a whole number of minutes above 0, not 0" in (
        zero.stdout + zero.stderr
    )
