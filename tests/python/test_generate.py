"""Tests for the synthetic Apache access-log generator."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from weblogs.generate import generate_lines, write_log

TIMESTAMP_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
COMMON = re.compile(
    r"^(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<ts>[^\]]+)\] "
    r'"(?P<method>[A-Z]+) (?P<path>\S+) (?P<protocol>HTTP/\d\.\d)" '
    r"(?P<status>\d{3}) (?P<size>\d+|-)"
)
COMMON_LINE = re.compile(COMMON.pattern + r"$")
COMBINED_LINE = re.compile(COMMON.pattern + r' "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$')


def _lines(count: int, **kwargs: object) -> list[str]:
    return list(generate_lines(count, **kwargs))  # type: ignore[arg-type]


def test_same_seed_gives_same_lines() -> None:
    assert _lines(5_000, seed=7) == _lines(5_000, seed=7)


def test_different_seed_gives_different_lines() -> None:
    first, second = _lines(1_000, seed=1), _lines(1_000, seed=2)
    assert first != second
    assert len(set(first) & set(second)) < 10


@pytest.mark.parametrize("count", [0, 1, 2, 999, 10_000])
def test_count_is_exact(count: int) -> None:
    assert len(_lines(count)) == count


def test_combined_lines_carry_referer_and_agent() -> None:
    lines = _lines(5_000, log_format="combined", malformed_rate=0.0)
    matches = [COMBINED_LINE.match(line) for line in lines]
    assert all(matches)
    assert not any(COMMON_LINE.match(line) for line in lines)
    referers = Counter(m.group("referer") == "-" for m in matches if m)
    assert referers[True] > 0
    assert referers[False] > 0
    # The site's own pages refer most; search engines and other sites refer too.
    hosts = Counter(
        m.group("referer").split("/")[2] for m in matches if m and m.group("referer") != "-"
    )
    assert hosts.most_common(1)[0][0] == "www.example.com"
    assert {"www.google.com", "news.ycombinator.com", "t.co"} <= hosts.keys()
    assert all(
        m.group("referer").startswith(("http://", "https://"))
        for m in matches
        if m and m.group("referer") != "-"
    )
    # Crawlers and scripted clients among the browsers.
    agents = Counter(m.group("agent") for m in matches if m)
    assert any("Googlebot" in agent for agent in agents)
    assert any(agent.startswith("curl/") for agent in agents)
    assert sum(n for agent, n in agents.items() if "Windows NT" in agent) > len(lines) / 20


def test_not_found_requests_ask_for_missing_pages() -> None:
    lines = _lines(20_000, malformed_rate=0.0)
    matches = [m for m in (COMBINED_LINE.match(line) for line in lines) if m]
    missing = Counter(
        m.group("path")
        for m in matches
        if m.group("status") == "404" and m.group("method") == "GET"
    )
    assert len(missing) > 3
    assert "/wp-login.php" in missing
    assert not {"/", "/index.html"} & missing.keys()


def test_common_lines_lack_trailing_quoted_fields() -> None:
    lines = _lines(5_000, log_format="common", malformed_rate=0.0)
    assert all(COMMON_LINE.match(line) for line in lines)
    assert not any(COMBINED_LINE.match(line) for line in lines)
    assert all(line.count('"') == 2 for line in lines)


def test_unknown_log_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="log_format"):
        generate_lines(10, log_format="json")


@pytest.mark.parametrize(
    "kwargs",
    [{"count": -1}, {"count": 5, "malformed_rate": 1.5}, {"count": 5, "replay_rate": -0.1}],
)
def test_out_of_range_arguments_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        _lines(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("rate", "low", "high"), [(0.05, 0.035, 0.065), (0.002, 0.0005, 0.004)])
def test_malformed_share_is_close_to_rate(rate: float, low: float, high: float) -> None:
    lines = _lines(20_000, malformed_rate=rate, replay_rate=0.0)
    malformed = sum(1 for line in lines if not COMBINED_LINE.match(line))
    assert low * len(lines) <= malformed <= high * len(lines)


def test_malformed_lines_take_several_shapes() -> None:
    lines = _lines(20_000, malformed_rate=0.05, replay_rate=0.0)
    broken = [line for line in lines if not COMBINED_LINE.match(line)]
    head = re.compile(r'^\S+ \S+ \S+ \[[^\]]+\] "[^"]*"')
    missing_status = re.compile(head.pattern + r' (\d+|-) "')
    bad_size = re.compile(head.pattern + r" \d{3} (?!-)\S*[^\d\s]\S* ")
    assert any(missing_status.match(line) for line in broken)
    assert any(bad_size.match(line) for line in broken)
    assert any(not line.endswith('"') and not head.match(line) for line in broken)
    assert all("\n" not in line and "\r" not in line for line in lines)


def test_zero_malformed_rate_is_honoured() -> None:
    lines = _lines(20_000, malformed_rate=0.0)
    assert all(COMBINED_LINE.match(line) for line in lines)


def test_replayed_duplicates_appear_when_enabled() -> None:
    lines = _lines(20_000, replay_rate=0.01)
    duplicates = sum(n - 1 for n in Counter(lines).values() if n > 1)
    assert 100 <= duplicates <= 300
    assert all(COMBINED_LINE.match(line) for line, n in Counter(lines).items() if n > 1)


def test_no_duplicates_without_replay() -> None:
    lines = _lines(50_000, replay_rate=0.0)
    assert len(set(lines)) == len(lines)


def test_timestamps_parse_and_increase_from_start() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    lines = _lines(20_000, malformed_rate=0.0, replay_rate=0.0)
    moments = [
        datetime.strptime(m.group("ts"), TIMESTAMP_FORMAT)
        for m in (COMBINED_LINE.match(line) for line in lines)
        if m
    ]
    assert len(moments) == len(lines)
    assert moments[0] == start
    assert all(earlier <= later for earlier, later in pairwise(moments))
    assert moments[-1] > start
    offsets = {moment.strftime("%z") for moment in moments}
    assert offsets <= {"+0000", "-0400", "+0200", "+0530"}
    assert len(offsets) > 1


def test_naive_start_is_read_as_utc() -> None:
    (line,) = _lines(1, start=datetime(2025, 12, 31, 23, 59, 59), malformed_rate=0.0)
    match = COMBINED_LINE.match(line)
    assert match
    parsed = datetime.strptime(match.group("ts"), TIMESTAMP_FORMAT)
    assert parsed == datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_traffic_shape_is_plausible() -> None:
    lines = _lines(20_000, malformed_rate=0.0, replay_rate=0.0)
    records = [m.groupdict() for m in (COMBINED_LINE.match(line) for line in lines) if m]
    statuses = Counter(r["status"] for r in records)
    methods = Counter(r["method"] for r in records)
    hosts = Counter(r["host"] for r in records)
    assert 0.80 <= statuses["200"] / len(records) <= 0.90
    assert {"304", "404", "301", "302"} <= statuses.keys()
    assert 0.92 <= methods["GET"] / len(records) <= 0.98
    assert {"POST", "HEAD"} <= methods.keys()
    assert all(r["size"] == "-" for r in records if r["method"] == "HEAD" or r["status"] == "304")
    sizes = [int(r["size"]) for r in records if r["size"] != "-"]
    assert sum(size > 100 for size in sizes) > 0.8 * len(sizes)
    assert any(size < 100 for size in sizes)
    assert hosts.most_common(1)[0][1] > 20 * len(records) / len(hosts)
    assert any(":" in host for host in hosts)
    assert any(re.search(r"[a-z]", host) and ":" not in host for host in hosts)
    assert sum(r["ident"] == "-" and r["user"] == "-" for r in records) > 0.99 * len(records)


def test_write_log_writes_lines_with_trailing_newline(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "access.log"
    result = write_log(target, 500, seed=3, log_format="common")
    assert result == target
    data = target.read_bytes()
    assert data.endswith(b"\n")
    assert b"\r" not in data
    expected = "\n".join(generate_lines(500, seed=3, log_format="common")) + "\n"
    assert data.decode("utf-8") == expected
