"""Seeded synthetic Apache access-log generator for exercising the weblogs pipeline."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple, TypedDict, TypeVar, Unpack

__all__ = [
    "DEFAULT_START",
    "LOG_FORMATS",
    "GenerateOptions",
    "generate_lines",
    "write_log",
]

T = TypeVar("T")

LOG_FORMATS = ("common", "combined")
DEFAULT_START = datetime(2026, 3, 1, tzinfo=UTC)

# Fixed English abbreviations: strftime("%b") follows the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_OFFSETS = ("+0000", "-0400", "+0200", "+0530")

_TABLE_BITS = 12
_REPLAY_WINDOW = 512

_BROWSER_AGENTS = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.3 Safari/605.1.15"
    ),
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Mobile Safari/537.36"
    ),
)
_BOT_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "python-requests/2.31.0",
)
# Browsers dominate traffic; bots and scripted clients make up the rest.
_AGENT_WEIGHTS = [(agent, 88.0 / len(_BROWSER_AGENTS)) for agent in _BROWSER_AGENTS] + [
    (agent, 12.0 / len(_BOT_AGENTS)) for agent in _BOT_AGENTS
]

_METHODS = (("GET", 95.0), ("POST", 3.0), ("HEAD", 1.8), ("OPTIONS", 0.2))
_PROTOCOLS = (("HTTP/1.1", 90.0), ("HTTP/1.0", 9.0), ("HTTP/2.0", 1.0))
_STATUSES = (
    (200, 85.0),
    (304, 5.0),
    (404, 4.0),
    (301, 1.5),
    (302, 1.5),
    (206, 1.0),
    (403, 1.0),
    (500, 0.6),
    (503, 0.4),
)
# Seconds between consecutive requests: mostly bursts within the same second.
_GAPS = ((0, 55.0), (1, 30.0), (2, 10.0), (3, 2.0), (5, 1.5), (9, 1.0), (30, 0.5))
_HOST_KINDS = (("ipv4", 97.0), ("ipv6", 1.0), ("name", 2.0))

_POST_PATHS = ("/api/v1/items", "/login", "/contact.html", "/api/v1/events")
_USERS = ("alice", "bob", "deploy")
_BAD_SIZES = ("1.2k", "NaN", "abc", "12O4", "none")
_GARBAGE_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_/.:;[]{}<>%$#@!?"
)
_BLOG_SLUGS = (
    "hello-world",
    "parsing-access-logs",
    "delta-lake-basics",
    "why-we-moved-to-dbt",
    "caching-static-assets",
    "http-status-codes-explained",
    "rate-limiting-at-the-edge",
    "a-year-of-uptime",
    "incident-review-2025-11",
    "tuning-apache-workers",
    "ipv6-rollout-notes",
    "robots-and-crawlers",
)
_SEARCH_TERMS = ("apache", "delta", "logs", "status+codes", "dbt", "lakehouse", "ipv6", "robots")
# Referrers from other sites (search engines, social sites, links), in the referer table
# beside the site's own pages; some more than once, as some send more visitors.
_EXTERNAL_REFERERS = (
    "https://www.google.com/",
    "https://www.google.com/",
    "https://www.google.com/",
    "https://www.google.de/",
    "https://www.bing.com/search?q=apache+access+log",
    "https://duckduckgo.com/",
    "https://news.ycombinator.com/item?id=39014425",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/r/dataengineering/comments/1ab2cd/",
    "https://t.co/Xq7RzPl2Vw",
    "https://github.com/apache/httpd",
    "https://stackoverflow.com/questions/9234699",
)
# Paths a 404 answers: what scanners probe for and links to pages that moved.
_MISSING_PATHS = (
    "/wp-login.php",
    "/.env",
    "/xmlrpc.php",
    "/wp-admin/",
    "/blog/old-post",
    "/images/logo-old.png",
    "/phpmyadmin/",
    "/favicon.png",
    "/apple-touch-icon.png",
    "/.git/config",
)

# Error bodies have a roughly fixed size regardless of the requested resource.
_ERROR_SIZES = {301: 234, 302: 211, 403: 199, 404: 196, 500: 527, 503: 299}


class GenerateOptions(TypedDict, total=False):
    """Keyword options accepted by `generate_lines` besides `count`."""

    log_format: str
    seed: int
    start: datetime | None
    malformed_rate: float
    replay_rate: float


class _Endpoint(NamedTuple):
    path: str
    size: int
    dynamic: bool


class _Host(NamedTuple):
    address: str
    offset: int
    agent: str


def _lookup_table(weighted: Sequence[tuple[T, float]]) -> list[T]:
    """Expand weighted values into a table indexed by `_TABLE_BITS` random bits."""
    size = 1 << _TABLE_BITS
    total = sum(weight for _, weight in weighted)
    table: list[T] = []
    running = 0.0
    for value, weight in weighted:
        running += weight
        table.extend([value] * (round(running / total * size) - len(table)))
    return table


def _zipf_cumulative(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf weights for ranks 1..count."""
    return list(accumulate(1.0 / rank**exponent for rank in range(1, count + 1)))


def _build_endpoints(rng: random.Random) -> tuple[list[_Endpoint], list[float]]:
    """Endpoints with cumulative popularity weights."""
    weighted: list[tuple[_Endpoint, float]] = [
        (_Endpoint("/", 7412, True), 12.0),
        (_Endpoint("/index.html", 7412, False), 6.0),
        (_Endpoint("/images/logo.png", 18322, False), 8.0),
        (_Endpoint("/images/banner.jpg", 145210, False), 3.0),
        (_Endpoint("/css/site.css", 23451, False), 6.0),
        (_Endpoint("/js/app.js", 88120, False), 6.0),
        (_Endpoint("/favicon.ico", 1150, False), 5.0),
        (_Endpoint("/robots.txt", 68, False), 1.5),
        (_Endpoint("/about.html", 5120, False), 1.5),
        (_Endpoint("/contact.html", 3877, False), 1.0),
        (_Endpoint("/sitemap.xml", 2904, False), 0.5),
        (_Endpoint("/feed.xml", 41230, True), 0.8),
        (_Endpoint("/downloads/weblogs-1.4.2.tar.gz", 3481920, False), 0.3),
        (_Endpoint("/api/v1/health", 17, True), 1.0),
    ]
    item_weights = _zipf_cumulative(400, 1.1)
    item_total = item_weights[-1]
    for rank in range(1, 401):
        item_id = rng.randint(1, 99_999)
        share = 12.0 * (1.0 / rank**1.1) / item_total
        weighted.append((_Endpoint(f"/api/v1/items/{item_id}", rng.randint(40, 2400), True), share))
    slug_total = _zipf_cumulative(len(_BLOG_SLUGS), 1.0)[-1]
    for rank, slug in enumerate(_BLOG_SLUGS, start=1):
        share = 10.0 / rank / slug_total
        weighted.append((_Endpoint(f"/blog/{slug}", rng.randint(9000, 60000), True), share))
    for term in _SEARCH_TERMS:
        weighted.append((_Endpoint(f"/search?q={term}", rng.randint(3000, 20000), True), 0.25))
    endpoints = [endpoint for endpoint, _ in weighted]
    cumulative = list(accumulate(weight for _, weight in weighted))
    return endpoints, cumulative


def _random_ipv4(rng: random.Random) -> str:
    """A plausible public-looking IPv4 address."""
    return f"{rng.randint(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"


def _random_ipv6(rng: random.Random) -> str:
    """An IPv6 address inside the 2001:db8::/32 documentation prefix."""
    if rng.random() < 0.5:
        return f"2001:db8::{rng.randrange(1, 0x10000):x}"
    return f"2001:db8:{rng.randrange(0x10000):x}::{rng.randrange(1, 0x10000):x}"


def _random_hostname(rng: random.Random) -> tuple[str, bool]:
    """A reverse-resolved hostname and whether it belongs to a crawler."""
    prefix = rng.choice(("crawler", "crawler", "proxy", "gw", "cache"))
    domain = rng.choice(("example.net", "example.org", "example.com"))
    return f"{prefix}-{rng.randint(1, 40)}.{domain}", prefix == "crawler"


def _build_hosts(
    rng: random.Random, kind: str, count: int
) -> tuple[list[_Host], list[float], float]:
    """A pool of distinct hosts with Zipf-skewed cumulative weights."""
    hosts: list[_Host] = []
    seen: set[str] = set()
    while len(hosts) < count:
        is_bot = False
        if kind == "ipv4":
            address = _random_ipv4(rng)
        elif kind == "ipv6":
            address = _random_ipv6(rng)
        else:
            address, is_bot = _random_hostname(rng)
        if address in seen:
            continue
        seen.add(address)
        is_bot = is_bot or rng.random() < 0.05
        agent = rng.choice(_BOT_AGENTS if is_bot else _BROWSER_AGENTS)
        hosts.append(_Host(address, rng.randrange(len(_OFFSETS)), agent))
    cumulative = _zipf_cumulative(count, 1.05)
    return hosts, cumulative, cumulative[-1]


def _render_timestamp(epoch: int, offset: str) -> str:
    """Render an epoch second as an Apache `%t` value in the given UTC offset."""
    sign = -1 if offset[0] == "-" else 1
    shift = sign * (int(offset[1:3]) * 3600 + int(offset[3:5]) * 60)
    local = datetime.fromtimestamp(epoch + shift, UTC)
    return (
        f"{local.day:02d}/{_MONTHS[local.month - 1]}/{local.year}:"
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {offset}"
    )


def _garbage(rng: random.Random) -> str:
    """A line of noise that no access-log parser should accept."""
    shape = rng.randrange(3)
    if shape == 0:
        return "".join(rng.choices(_GARBAGE_ALPHABET, k=rng.randint(8, 80)))
    if shape == 1:
        return f"GET /{rng.choice(_BLOG_SLUGS)}?ref={rng.getrandbits(32):08x} HTTP/1.1"
    # A TLS handshake sent to the plain-HTTP port, logged as escaped bytes.
    return "\\x16\\x03\\x01" + "".join(f"\\x{rng.getrandbits(8):02x}" for _ in range(8))


def _malform(rng: random.Random, head: str, status: int, size: str, tail: str) -> str:
    """Damage a well-formed line, built from its parts, in one of several ways."""
    flaw = rng.getrandbits(2)
    if flaw == 0:
        # Cut before the status so a truncated line can never pass as well-formed.
        return head[: rng.randint(1, len(head) - 1)]
    if flaw == 1:
        return _garbage(rng)
    if flaw == 2:
        return f"{head} {size}{tail}"
    return f"{head} {status} {rng.choice(_BAD_SIZES)}{tail}"


def _check_arguments(
    count: int, log_format: str, malformed_rate: float, replay_rate: float
) -> None:
    """Reject arguments the generator cannot honour."""
    if log_format not in LOG_FORMATS:
        raise ValueError(
            f"unsupported log_format {log_format!r}; expected one of {', '.join(LOG_FORMATS)}"
        )
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    for name, rate in (("malformed_rate", malformed_rate), ("replay_rate", replay_rate)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name} must be within [0, 1], got {rate}")
    if malformed_rate + replay_rate > 1.0:
        raise ValueError("malformed_rate + replay_rate must not exceed 1")


def generate_lines(
    count: int,
    *,
    log_format: str = "combined",
    seed: int = 42,
    start: datetime | None = None,
    malformed_rate: float = 0.002,
    replay_rate: float = 0.001,
) -> Iterator[str]:
    """Yield `count` Apache access-log lines; identical arguments yield identical lines."""
    # Validate here rather than in the generator body so bad arguments fail at call time.
    _check_arguments(count, log_format, malformed_rate, replay_rate)
    if start is None:
        start = DEFAULT_START
    elif start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return _generate(count, log_format == "combined", seed, start, malformed_rate, replay_rate)


def _generate(
    count: int,
    combined: bool,
    seed: int,
    start: datetime,
    malformed_rate: float,
    replay_rate: float,
) -> Iterator[str]:
    """Produce the lines for `generate_lines` from validated arguments."""
    rng = random.Random(seed)
    rnd = rng.random
    bits = rng.getrandbits

    endpoints, endpoint_cum = _build_endpoints(rng)
    endpoint_total = endpoint_cum[-1]
    pools = {
        kind: _build_hosts(rng, kind, size)
        for kind, size in (("ipv4", 3000), ("ipv6", 60), ("name", 80))
    }
    kind_table = [pools[kind] for kind in _lookup_table(_HOST_KINDS)]
    method_table = _lookup_table(_METHODS)
    protocol_table = _lookup_table(_PROTOCOLS)
    status_table = _lookup_table(_STATUSES)
    gap_table = _lookup_table(_GAPS)
    agent_table = _lookup_table(_AGENT_WEIGHTS)
    referer_table = [
        f"http://www.example.com{e.path}"
        for e in endpoints
        if e.path == "/" or e.path.endswith(".html") or e.path.startswith(("/blog/", "/search"))
    ] + list(_EXTERNAL_REFERERS)

    epoch = int(start.timestamp())
    stamps: list[str | None] = [None] * len(_OFFSETS)
    # Exact repeats can only share a second, so per-second tracking is enough to keep
    # every duplicate in the output attributable to a deliberate replay.
    emitted_this_second: set[str] = set()
    malformed_seen: set[str] = set()
    recent: list[str] = []
    recent_next = 0
    replay_cut = malformed_rate + replay_rate
    # The first line lands exactly on `start`; each later one waits for the previous gap.
    gap = 0

    for _ in range(count):
        roll = rnd()
        if malformed_rate <= roll < replay_cut and recent:
            yield recent[int(rnd() * len(recent))]
            continue

        if gap:
            epoch += gap
            stamps = [None] * len(_OFFSETS)
            emitted_this_second.clear()
        gap = gap_table[bits(_TABLE_BITS)]

        while True:
            hosts, host_cum, host_total = kind_table[bits(_TABLE_BITS)]
            host = hosts[bisect(host_cum, rnd() * host_total)]
            stamp = stamps[host.offset]
            if stamp is None:
                stamp = stamps[host.offset] = _render_timestamp(epoch, _OFFSETS[host.offset])

            method = method_table[bits(_TABLE_BITS)]
            endpoint_index = bisect(endpoint_cum, rnd() * endpoint_total)
            endpoint = endpoints[endpoint_index]
            if method == "POST":
                path = _POST_PATHS[bits(2)]
            elif method == "OPTIONS":
                path = "*"
            else:
                path = endpoint.path
            protocol = protocol_table[bits(_TABLE_BITS)]
            status = status_table[bits(_TABLE_BITS)]
            if status == 404 and method in ("GET", "HEAD"):
                # Picked by the endpoint drawn, so the random stream stays as it was.
                path = _MISSING_PATHS[endpoint_index % len(_MISSING_PATHS)]

            if method == "HEAD" or status == 304:
                size = "-"
            elif status == 200:
                if endpoint.dynamic:
                    size = str(max(1, int(endpoint.size * (0.6 + 0.8 * rnd()))))
                else:
                    size = str(endpoint.size)
            elif status == 206:
                size = str(1 + int(endpoint.size * rnd()))
            else:
                size = str(_ERROR_SIZES[status])

            user = "-" if rnd() >= 0.003 else _USERS[bits(8) % len(_USERS)]
            head = f'{host.address} - {user} [{stamp}] "{method} {path} {protocol}"'
            if combined:
                referer = "-" if rnd() < 0.45 else referer_table[bits(10) % len(referer_table)]
                agent = host.agent if rnd() < 0.9 else agent_table[bits(_TABLE_BITS)]
                tail = f' "{referer}" "{agent}"'
            else:
                tail = ""
            line = f"{head} {status} {size}{tail}"
            if line not in emitted_this_second:
                break
        emitted_this_second.add(line)

        if roll < malformed_rate:
            broken = _malform(rng, head, status, size, tail)
            while broken in malformed_seen:
                broken = _malform(rng, head, status, size, tail)
            malformed_seen.add(broken)
            yield broken
            continue

        if len(recent) < _REPLAY_WINDOW:
            recent.append(line)
        else:
            recent[recent_next] = line
            recent_next = (recent_next + 1) % _REPLAY_WINDOW
        yield line


def write_log(path: Path, count: int, **kwargs: Unpack[GenerateOptions]) -> Path:
    """Write `count` generated lines to `path` as UTF-8, one per line; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(f"{line}\n" for line in generate_lines(count, **kwargs))
    return path
