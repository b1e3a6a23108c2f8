"""A real access log grown to any size: its lines repeated, each copy a day later.

Copying a log unchanged would make every copy a replay of the first (the same lines, so the
same requests). Here copy k has every request's date moved k days later, so each copy is new
traffic with the real log's mix of hosts, paths, statuses and sizes, and the file as a whole
still reads forward in time.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

__all__ = ["copies", "days_spanned", "newest_request_date", "write_replicated_log"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name.encode(): number for number, name in enumerate(_MONTHS, start=1)}
# The date of Apache's %t, the first bracketed field after host, identity and user; a line
# without it (or with an impossible date) is copied unchanged.
_LINE_DATE = re.compile(rb"^[^ \n]+ [^ \n]+ [^ \n]+ \[([0-9]{2})/([A-Z][a-z]{2})/([0-9]{4}):", re.M)


def _request_date(match: re.Match[bytes]) -> date | None:
    day, month, year = match.group(1), match.group(2), match.group(3)
    number = _MONTH_NUMBER.get(month)
    if number is None:
        return None
    try:
        return date(int(year), number, int(day))
    except ValueError:
        return None


def _render(day: date) -> bytes:
    return f"{day.day:02d}/{_MONTHS[day.month - 1]}/{day.year:04d}".encode()


class _DatedBlock:
    """Lines cut around their dates, so a copy moved k days later is a few joins: the text
    between two dates is kept as is, and a run of lines of one date is joined by it."""

    def __init__(self, block: bytes) -> None:
        self.head = block
        # (date, the texts after each of its occurrences in the run)
        self.runs: list[tuple[date, list[bytes]]] = []
        after: list[bytes] = []
        last = None
        for match in _LINE_DATE.finditer(block):
            found = _request_date(match)
            if found is None:
                continue
            if last is None:
                self.head = block[: match.start(1)]
            else:
                after.append(block[last : match.start(1)])
            if not self.runs or self.runs[-1][0] != found:
                after = []
                self.runs.append((found, after))
            last = match.end(3)
        if last is not None:
            after.append(block[last:])

    def moved(self, days: int) -> bytes:
        parts = [self.head]
        for day, texts in self.runs:
            rendered = _render(day + timedelta(days=days))
            parts.append(rendered)
            parts.append(rendered.join(texts))
        return b"".join(parts)


def write_replicated_log(source: Path, path: Path, count: int, first_day: int = 0) -> Path:
    """Write `count` lines: the lines of `source` repeated end to end, copy k with its request
    dates moved first_day + k days later. Everything else in a line is copied byte for byte;
    lines are split on LF only, as ingest splits them, so blank lines are kept."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    data = Path(source).read_bytes()
    if data and not data.endswith(b"\n"):
        data += b"\n"
    line_count = data.count(b"\n")
    if count and not line_count:
        raise ValueError(f"{source} holds no lines to replicate")
    repeats, rest = divmod(count, line_count or 1)
    whole = _DatedBlock(data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for copy in range(repeats):
            handle.write(whole.moved(first_day + copy))
        if rest:
            end = 0
            for _ in range(rest):
                end = data.index(b"\n", end) + 1
            handle.write(_DatedBlock(data[:end]).moved(first_day + repeats))
    return path


def copies(source: Path, count: int) -> int:
    """How many copies of `source`, the last one perhaps partial, `count` lines take."""
    data = Path(source).read_bytes()
    lines = max(1, data.count(b"\n") + (bool(data) and not data.endswith(b"\n")))
    return -(-count // lines)


def days_spanned(source: Path) -> int:
    """How many days the request dates of `source` span, first to last (1: one day)."""
    days = [day for day, _ in _DatedBlock(Path(source).read_bytes()).runs]
    return (max(days) - min(days)).days + 1 if days else 1


def newest_request_date(log: Path, tail_bytes: int = 65536) -> date | None:
    """The newest request date among the last lines of a log written in date order, as
    write_replicated_log writes one (its last `tail_bytes`); None if they hold no date."""
    log = Path(log)
    with log.open("rb") as handle:
        handle.seek(max(0, log.stat().st_size - tail_bytes))
        tail = handle.read()
    days = [day for day, _ in _DatedBlock(tail).runs]
    return max(days) if days else None
