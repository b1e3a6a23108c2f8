"""`weblogs report`: one HTML page that opens offline in headless Chromium, draws its
charts, logs no error and shows the numbers the tables hold."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from test_docs_lineage import browser  # noqa: F401  (the fixture: Chromium or a skip)
from test_pipeline import scalar_rows

from conftest import Project
from headless_browser import headless_page
from weblogs.generate import write_log

pytestmark = pytest.mark.browser

# `make report-screenshot` sets this to refresh the picture in the README.
SCREENSHOT_ENV = "WEBLOGS_REPORT_SCREENSHOT"
CHARTS = (
    "chart-traffic", "chart-status-mix", "chart-top-endpoints", "chart-quarantine-reasons",
    "chart-visitors", "chart-browsers", "chart-systems", "chart-crawlers", "chart-referrers",
    "chart-not-found",
)  # fmt: skip
# The generated logs' own pages are on this host: a referrer there is no referring site.
SITE_HOSTS = "{site_hosts: {shop: [www.example.com], blog: [www.example.com]}}"

ALL_RENDERED = f"""
(() => {{
    const ids = {json.dumps(CHARTS)};
    return ids.every(id => document.getElementById(id)?.dataset.rendered === 'true') || null;
}})()
"""
# Per chart, the data marks Vega drew into its SVG (lines, bars; not axes or legends).
MARKS = """
Object.fromEntries([...document.querySelectorAll('.chart')].map(chart => [
    chart.id, chart.querySelectorAll('svg .role-mark path').length,
]))
"""


def page_table(page, table_id: str) -> list[list[str]]:
    return page.evaluate(
        f"[...document.querySelectorAll('#{table_id} tr')].slice(1)"
        ".map(row => [...row.cells].map(cell => cell.textContent))"
    )


def number(text: str) -> int:
    return int(text.replace(",", ""))


def page_counts(rows: list[list[str]]) -> list[tuple[str, int]]:
    return [(row[0], number(row[1])) for row in rows]


def counts(project: Project, value: str, table: str, limit: int = 1000) -> list[tuple[str, int]]:
    """Rows per value of a table, most first, ties by value: as the page orders them."""
    rows = scalar_rows(
        project,
        f"select {value} as value, count(*) as n from {table} "
        f"group by 1 order by n desc, value limit {limit}",
    )
    return [(row["value"], row["n"]) for row in rows]


def problems(received: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions, error log entries and requests that would
    leave the machine."""
    found = []
    for event in received:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            found.append(f"console: {[arg.get('value') for arg in params['args']]}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"log: {params['entry']['text']}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:", "about:", "blob:")):
                found.append(f"request: {url}")
    return found


@pytest.mark.e2e
def test_the_report_opens_offline_and_shows_the_tables(
    project: Project,
    browser: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    for site, seed in (("shop", 3), ("blog", 4)):
        log = write_log(tmp_path / site / "access.log", 2_000, seed=seed)
        project.weblogs("ingest", str(log), "--site", site)
    project.dbt("build", "--vars", "{dq_monitor_severity: warn, " + SITE_HOSTS[1:-1] + "}")
    out = tmp_path / "report.html"
    started = time.monotonic()
    written = project.weblogs("report", "--out", str(out))
    print(f"weblogs report: {time.monotonic() - started:.1f} s, {out.stat().st_size:,} bytes")
    assert written.stdout.strip() == f"report: {out}"

    with headless_page(browser) as page:
        for domain in ("Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        page.goto(out.as_uri())
        page.wait_for(ALL_RENDERED, what="the report's charts")
        marks = page.evaluate(MARKS)
        tables = {
            name: page_table(page, name)
            for name in ("traffic-sites", "status-mix", "top-endpoints", "quarantine-reasons",
                         "monitors", "freshness", "visitors-sites", "browsers", "systems",
                         "crawlers", "referrers", "not-found")
        }  # fmt: skip
        bot_share = page.evaluate("document.getElementById('bot-share').textContent")
        totals = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('.totals div')]"
            ".map(d => [d.id, d.querySelector('b').textContent]))"
        )
        picture = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "report.png")
        page.screenshot(picture, full_page=True)
        received = list(page.received)

    assert problems(received) == []
    assert set(marks) == set(CHARTS)
    assert all(count > 0 for count in marks.values()), marks

    # The numbers on the page are the tables'.
    statuses = scalar_rows(
        project, "select response_code, request_count from weblogs.requests_by_status"
    )
    assert {row[0]: number(row[2]) for row in tables["status-mix"]} == {
        str(row["response_code"]): row["request_count"] for row in statuses
    }
    assert marks["chart-status-mix"] == len(statuses)
    assert page_counts(tables["top-endpoints"]) == counts(
        project, "coalesce(endpoint, '(none)')", "weblogs.int_access_requests_deduplicated", 10
    )
    reasons = counts(project, "quarantine_reason", "weblogs.access_log_quarantine")
    assert reasons, "the generated logs hold bad lines"
    assert page_counts(tables["quarantine-reasons"]) == reasons
    windows = scalar_rows(
        project,
        "select site, count(*) as windows, sum(request_count) as requests "
        "from weblogs.traffic_by_window group by site order by site",
    )
    requests = scalar_rows(
        project,
        "select site, count(*) as n from weblogs.int_access_requests_deduplicated "
        "group by site order by site",
    )
    assert [(row[0], number(row[1]), number(row[3])) for row in tables["traffic-sites"]] == [
        (row["site"], row["windows"], row["requests"]) for row in windows
    ]
    assert [row["requests"] for row in windows] == [row["n"] for row in requests]
    assert number(totals["total-requests"]) == sum(row["n"] for row in requests)
    monitors = scalar_rows(
        project, "select monitor_name, status from weblogs.data_quality_monitors"
    )
    assert {row[0]: row[1] for row in tables["monitors"]} == {
        row["monitor_name"]: row["status"] for row in monitors
    }
    assert [(row[0], row[4]) for row in tables["freshness"]] == [
        ("weblogs_raw.access_log_lines", "pass"),
        ("weblogs_raw.ingest_ledger", "pass"),
    ]
    assert picture.stat().st_size > 20_000  # a real picture of the page, not a blank one

    # The audience sections: the models' numbers, people and crawlers apart.
    days = scalar_rows(
        project,
        "select site, count(*) as days, sum(visitors) as visitors, sum(human_visitors) as people,"
        " sum(crawler_visitors) as crawlers, sum(requests) as requests,"
        " sum(crawler_requests) as crawler_requests from weblogs.visitors_by_day"
        " group by site order by site",
    )
    assert [[row[0], *map(number, row[1:7])] for row in tables["visitors-sites"]] == [
        [row["site"], row["days"], row["visitors"], row["people"], row["crawlers"],
         row["requests"], row["crawler_requests"]]
        for row in days
    ]  # fmt: skip
    assert sum(row["requests"] for row in days) == sum(row["n"] for row in requests)
    assert all(0 < row["crawler_requests"] < row["requests"] for row in days)
    assert number(totals["total-visitors"]) == sum(row["visitors"] for row in days)
    crawler_requests = sum(row["crawler_requests"] for row in days)
    share = f"{crawler_requests / sum(row['requests'] for row in days):.1%}"
    assert bot_share.startswith(f"Crawlers made {share} of the requests ({crawler_requests:,} of")

    def top(label: str, table: str, where: str, order: str = "requests") -> list[list]:
        rows = scalar_rows(
            project,
            f"select {label} as label, sum(requests) as requests, sum(visitors) as visitors"
            f" from weblogs.{table} where {where} group by 1"
            f" order by {order} desc, label limit 10",
        )
        return [[row["label"], row["requests"], row["visitors"]] for row in rows]

    def shown(rows: list[list[str]]) -> list[list]:
        return [[row[0], number(row[1]), number(row[2])] for row in rows]

    assert shown(tables["browsers"]) == top(
        "browser_family", "requests_by_agent", "not is_bot", "visitors"
    )
    assert shown(tables["systems"]) == top(
        "os_family", "requests_by_agent", "not is_bot", "visitors"
    )
    assert shown(tables["crawlers"]) == top("browser_family", "requests_by_agent", "is_bot")
    assert {row[0] for row in tables["crawlers"]} >= {"Googlebot", "curl"}
    referrers = top("referring_host", "referring_sites", "referrer_kind = 'external'")
    assert shown(tables["referrers"]) == referrers
    assert "www.example.com" not in {row[0] for row in referrers}, "the sites' own pages"
    assert "www.google.com" in {row[0] for row in referrers}
    missing = scalar_rows(
        project,
        "select site, endpoint, requests, visitors from weblogs.not_found_paths"
        " order by requests desc, site, endpoint limit 10",
    )
    assert [[row[0], row[1], number(row[2]), number(row[3])] for row in tables["not-found"]] == [
        [row["site"], row["endpoint"], row["requests"], row["visitors"]] for row in missing
    ]
    assert marks["chart-not-found"] == len(missing)


def test_a_warehouse_without_the_models_gets_one_line(project: Project, tmp_path: Path) -> None:
    failed = project.weblogs("report", "--out", str(tmp_path / "r.html"), check=False)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        f"weblogs: no table weblogs.traffic_by_window in {project.warehouse}: "
        "build the models first (`weblogs build`)"
    )
