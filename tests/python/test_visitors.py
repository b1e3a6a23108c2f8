"""visitors_by_day, requests_by_agent, referring_sites and not_found_paths, held against
figures computed here from the log lines with Python's re, datetime and urllib: on the
real combined log landed in batches (late data among them) and on a real common-format
log of one day; and, built incrementally, equal to a full rebuild."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from deltalake import DeltaTable
from test_classify_user_agent import udf
from test_pipeline import checksums

from conftest import SHARED_LOG, Project

MODELS = ("visitors_by_day", "requests_by_agent", "referring_sites", "not_found_paths")
BUILD = ("build", "--select", "+" + " +".join(MODELS), "--indirect-selection", "cautious")
SITE = "semicomplete.com"

LINE = re.compile(
    r'^(?P<host>\S+) \S+ \S+ \[(?P<time>[^\]]*)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r"(?P<status>[0-9]{3}) (?P<size>[0-9]+|-)"
    r'(?: "(?P<referer>(?:[^"\\]|\\.)*)"(?: "(?P<agent>(?:[^"\\]|\\.)*)"?)?)?\s*$'
)


@dataclass(frozen=True)
class Request:
    site: str
    host: str
    at: datetime
    endpoint: str
    status: int
    size: int
    referer: str | None
    agent: str | None

    @property
    def day(self) -> date:
        return self.at.date()


def read_requests(log: Path, site: str) -> list[Request]:
    requests = []
    for line in log.read_text(encoding="utf-8").splitlines():
        match = LINE.match(line)
        assert match, line  # every line of these logs parses
        at = datetime.strptime(match["time"], "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
        parts = match["request"].split(" ")
        endpoint = " ".join(parts[1:-1] if parts[-1].startswith("HTTP/") else parts[1:])
        requests.append(
            Request(
                site=site, host=match["host"], at=at,
                endpoint=endpoint or "(none)", status=int(match["status"]),
                size=0 if match["size"] == "-" else int(match["size"]),
                referer=None if match["referer"] in (None, "", "-") else match["referer"],
                agent=None if match["agent"] in (None, "", "-") else match["agent"],
            )
        )  # fmt: skip
    return requests


def referring_host(referer: str | None) -> str:
    if referer is None:
        return "-"
    try:
        host = urlsplit(referer).hostname if "://" in referer else None
    except ValueError:
        host = None
    return host or referer


def bare(host: str) -> str:
    return host.lower().removeprefix("www.")


def expected_tables(requests: list[Request], site_hosts: dict[str, list[str]]) -> dict:
    """The four tables, computed from the requests."""
    classes = {agent: udf.classify_one(agent) for agent in {r.agent for r in requests}}
    visitors: dict[tuple, set] = defaultdict(set)
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    days: dict[tuple, dict] = {}
    for request in requests:
        visitor = (request.host, request.agent)
        browser, system, device, is_bot = classes[request.agent]
        key = ("agent", request.site, request.day, browser, system, device, is_bot)
        visitors[key].add(visitor)
        sums[key][0] += 1
        sums[key][1] += request.size
        for scope in ("all", "crawler" if is_bot else "human"):
            day = days.setdefault((request.site, request.day), defaultdict(int))
            visitors[("day", scope, request.site, request.day)].add(visitor)
            day[f"{scope}_requests"] += 1
            day[f"{scope}_bytes_sent"] += request.size
        host = referring_host(request.referer)
        visitors[("referrer", request.site, request.day, host)].add(visitor)
        sums[("referrer", request.site, request.day, host)][0] += 1
        if request.status == 404:
            key = ("404", request.site, request.endpoint)
            visitors[key].add(visitor)
            sums[key][0] += 1
            seen = sums.setdefault(("404 seen", request.site, request.endpoint), [request.at] * 2)
            seen[:] = [min(seen[0], request.at), max(seen[1], request.at)]

    agents = {
        key[1:]: {"requests": sums[key][0], "visitors": len(visitors[key]),
                  "bytes_sent": sums[key][1]}
        for key in sums if key[0] == "agent"
    }  # fmt: skip
    by_day = {}
    for (site, day), counts in days.items():
        row = {}
        for scope, prefix in (("all", ""), ("human", "human_"), ("crawler", "crawler_")):
            row[f"{prefix}visitors"] = len(visitors.get(("day", scope, site, day), ()))
            row[f"{prefix}requests"] = counts[f"{scope}_requests"]
            row[f"{prefix}bytes_sent"] = counts[f"{scope}_bytes_sent"]
        by_day[(site, day)] = row
    referrers = {}
    for key in sums:
        if key[0] == "referrer":
            site, _, host = key[1:]
            own = {bare(site), *(bare(name) for name in site_hosts.get(site, []))}
            kind = "none" if host == "-" else "self" if bare(host) in own else "external"
            referrers[key[1:]] = {"referrer_kind": kind, "requests": sums[key][0],
                                  "visitors": len(visitors[key])}  # fmt: skip
    not_found = {
        key[1:]: {"requests": sums[key][0], "visitors": len(visitors[key]),
                  "first_seen_at": sums[("404 seen", *key[1:])][0],
                  "last_seen_at": sums[("404 seen", *key[1:])][1]}
        for key in sums if key[0] == "404"
    }  # fmt: skip
    return {"visitors_by_day": by_day, "requests_by_agent": agents,
            "referring_sites": referrers, "not_found_paths": not_found}  # fmt: skip


KEYS = {
    "visitors_by_day": ("site", "event_date"),
    "requests_by_agent": ("site", "event_date", "browser_family", "os_family", "device_class",
                          "is_bot"),
    "referring_sites": ("site", "event_date", "referring_host"),
    "not_found_paths": ("site", "endpoint"),
}  # fmt: skip


def stored_tables(project: Project) -> dict:
    tables = {}
    for model, key in KEYS.items():
        rows = DeltaTable(str(project.warehouse / "weblogs" / model)).to_pyarrow_table()
        tables[model] = {}
        for row in rows.to_pylist():
            identity = tuple(row.pop(column) for column in key)
            assert identity not in tables[model], (model, identity)
            row.pop("ingest_batch_id")
            tables[model][identity] = row
    return tables


def check_tables(project: Project, requests: list[Request], site_hosts=None) -> dict:
    expected = expected_tables(requests, site_hosts or {})
    stored = stored_tables(project)
    for model in MODELS:
        assert stored[model].keys() == expected[model].keys(), model
        for key, row in expected[model].items():
            assert stored[model][key] == row, (model, key)
    return stored


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.e2e
def test_the_real_combined_log_in_batches_with_late_data(project: Project, tmp_path: Path) -> None:
    if not SHARED_LOG.is_file():
        pytest.skip(f"the real sample log is not at {SHARED_LOG}")
    lines = SHARED_LOG.read_text(encoding="utf-8").splitlines()
    by_day = defaultdict(list)
    for line in lines:
        by_day[datetime.strptime(LINE.match(line)["time"][:11], "%d/%b/%Y").date()].append(line)
    first, second, *later = sorted(by_day)
    # The second day's second half arrives last, after later days: late data.
    half = len(by_day[second]) // 2
    batches = [
        by_day[first] + by_day[second][:half],
        [line for day in later for line in by_day[day]],
        by_day[second][half:],
    ]
    landed: list[str] = []
    for number, batch in enumerate(batches):
        log = write_lines(tmp_path / f"part-{number}.log", batch)
        project.weblogs("ingest", str(log), "--site", SITE)
        project.dbt(*BUILD)
        landed += batch
        stored = check_tables(
            project, read_requests(write_lines(tmp_path / "so-far", landed), SITE)
        )
    assert sorted(landed) == sorted(lines)

    # What the tables say of the real log: a visitor per host and agent, crawlers apart,
    # the site's own pages apart from the sites that sent visitors.
    days = stored["visitors_by_day"]
    assert sum(row["requests"] for row in days.values()) == len(lines)
    assert all(0 < row["crawler_visitors"] < row["visitors"] for row in days.values())
    referrers = stored["referring_sites"]
    kinds = {row["referrer_kind"] for row in referrers.values()}
    assert kinds == {"none", "self", "external"}
    assert {host for (_, _, host), row in referrers.items() if row["referrer_kind"] == "self"} == {
        "semicomplete.com",
        "www.semicomplete.com",
    }
    assert any(host == "www.google.com" for _, _, host in referrers)
    agents = stored["requests_by_agent"]
    assert any(key[2] == "Googlebot" and key[5] for key in agents)
    assert any(key[2:] == ("Chrome", "Windows", "desktop", False) for key in agents)

    # The last run recomputed the late day only, and the incremental tables equal a full
    # rebuild's.
    history = DeltaTable(str(project.warehouse / "weblogs" / "visitors_by_day")).history(1)[0]
    assert history["operation"] == "MERGE"
    assert history["operationMetrics"]["numSourceRows"] == 1
    incremental = checksums(project, [f"weblogs.{model}" for model in MODELS])
    project.dbt(*BUILD, "--full-refresh")
    assert checksums(project, [f"weblogs.{model}" for model in MODELS]) == incremental


@pytest.mark.e2e
def test_a_real_common_format_log_of_one_day(project: Project, tmp_path: Path) -> None:
    """The real log's busiest day, each line cut after its size: no referrer, no agent."""
    if not SHARED_LOG.is_file():
        pytest.skip(f"the real sample log is not at {SHARED_LOG}")
    common = []
    for line in SHARED_LOG.read_text(encoding="utf-8").splitlines():
        match = LINE.match(line)
        if match["time"].startswith("19/May/2015"):
            common.append(line[: match.end("size")])
    log = write_lines(tmp_path / "access.log", common)
    project.weblogs("ingest", str(log), "--site", "shop")
    project.dbt(*BUILD, "--vars", "{site_hosts: {shop: [www.shop.example]}}")

    requests = read_requests(log, "shop")
    stored = check_tables(project, requests, {"shop": ["www.shop.example"]})
    hosts = {request.host for request in requests}
    assert stored["visitors_by_day"] == {
        ("shop", date(2015, 5, 19)): {
            "visitors": len(hosts), "requests": len(common),
            "bytes_sent": sum(request.size for request in requests),
            "human_visitors": len(hosts), "human_requests": len(common),
            "human_bytes_sent": sum(request.size for request in requests),
            "crawler_visitors": 0, "crawler_requests": 0, "crawler_bytes_sent": 0,
        }
    }  # fmt: skip
    assert list(stored["requests_by_agent"]) == [
        ("shop", date(2015, 5, 19), "(none)", "(none)", "unknown", False)
    ]
    assert list(stored["referring_sites"]) == [("shop", date(2015, 5, 19), "-")]
    assert stored["not_found_paths"]


@pytest.mark.e2e
def test_a_bad_site_hosts_var_is_one_line(project: Project) -> None:
    failed = project.dbt(
        "build", "--select", "referring_sites", "--vars", "{site_hosts: [a.example]}",
        check=False,
    )  # fmt: skip
    assert failed.returncode != 0
    assert "var site_hosts must map each site to a list of its host names" in failed.stdout
