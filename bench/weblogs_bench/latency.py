"""End-to-end latency of `weblogs run --watch`: from a line appended to a live log to its
row visible in network_filter.

    python -m weblogs_bench.latency --workdir /tmp/latency --rate 2 --seconds 120
    python -m weblogs_bench.latency --workdir /tmp/latency-1M --stored 1M --real-log LOG

A fresh warehouse and landing folder are made in --workdir and `weblogs run --watch` is
started on them; with --stored, the landing folder first holds that many lines of the real
log (--real-log) repeated, each copy a day later, which the first cycle lands and builds.
Once that first build is done, this process appends probe lines (status 200, a body over
100 bytes, so each becomes a network_filter row; each with its own endpoint) to a live log
at a steady rate, dated on the stored lines' newest day (so neither late nor a gap in the
daily volume), and polls network_filter's Delta table, as any other reader would, for the
probes' endpoints, reading only the data files added since its last look. Each probe's
latency is the time its row was first seen minus the time its line was written and
flushed; polling every --poll-seconds adds at most that much. The machine's load is
recorded beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

from weblogs.build.run_log import percentile
from weblogs_bench.variants import parse_size

LINE = '10.7.{a}.{b} - - [{at}] "GET {path} HTTP/1.1" 200 5000\n'
SITE = "live"
WARMUP_LINES = 50


def request_line(number: int, path: str, day: date | None = None) -> str:
    """A request now, or at this time of day on `day`."""
    now = datetime.now(UTC)
    at = datetime.combine(day or now.date(), now.time()).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return LINE.format(a=number // 250 % 250, b=number % 250, at=at, path=path)


def probe_line(number: int, day: date | None = None) -> str:
    return request_line(number, f"/probe/{number}", day)


class Probes:
    """The probes visible in network_filter, reading only the data files added since the
    last look: a whole table of a million rows read five times a second would load the
    machine the build runs on."""

    def __init__(self, table: Path) -> None:
        self.table = table
        self.files: set[str] = set()

    def skip_present(self) -> None:
        """Take the table's files now as read: they hold no probes."""
        from deltalake import DeltaTable

        self.files = set(DeltaTable(str(self.table)).file_uris())

    def visible(self) -> set[int]:
        """Probe numbers in the files added since; nothing while the table is replaced."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
        from deltalake import DeltaTable

        try:
            files = set(DeltaTable(str(self.table)).file_uris())
            found = set()
            for uri in sorted(files - self.files):
                endpoints = pq.read_table(uri.removeprefix("file://"), columns=["endpoint"])
                column = endpoints.column(0)
                probes = pc.filter(column, pc.starts_with(column, "/probe/"))
                found |= {int(e.removeprefix("/probe/")) for e in probes.to_pylist()}
        except Exception:  # the table is being replaced, or not there yet: look again
            return set()
        self.files = files
        return found


def append_steadily(
    log: Path, rate: float, seconds: float, written: dict[int, float], day: date | None
) -> None:
    """Write one probe line every 1/rate seconds for `seconds`, noting when each was flushed."""
    interval, start = 1.0 / rate, time.monotonic()
    with open(log, "a", encoding="utf-8") as handle:
        number = 0
        while time.monotonic() - start < seconds:
            handle.write(probe_line(number, day))
            handle.flush()
            written[number] = time.time()
            number += 1
            time.sleep(max(0.0, start + number * interval - time.monotonic()))


def measure(
    workdir: Path,
    rate: float,
    seconds: float,
    poll: float,
    stored: int = 0,
    real_log: Path | None = None,
) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse, landing = workdir / "warehouse", workdir / "landing"
    log = landing / SITE / "access.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    day = None
    if stored:
        from weblogs.real_shape import newest_request_date, write_replicated_log

        if real_log is None:
            raise ValueError("--stored needs --real-log")
        base = write_replicated_log(real_log, landing / SITE / "base.log", stored)
        day = newest_request_date(base)
    # Lines before the probes: the first build, which creates the tables, is not measured.
    log.write_text("".join(request_line(n, f"/warmup/{n}", day) for n in range(WARMUP_LINES)))
    table = warehouse / "weblogs" / "network_filter"
    environment = {**os.environ, "WEBLOGS_WAREHOUSE": str(warehouse)}
    weblogs = str(Path(sys.executable).parent / "weblogs")
    run = subprocess.Popen(
        [weblogs, "run", "--landing", str(landing), "--watch"],
        env=environment,
        stdout=open(workdir / "run.log", "w"),  # noqa: SIM115  (closed with the process)
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 600
        while not _warmed_up(table):
            if run.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"weblogs run did not build; see {workdir / 'run.log'}")
            time.sleep(1)
        probes = Probes(table)
        probes.skip_present()
        load_before = os.getloadavg()
        written: dict[int, float] = {}
        appender = threading.Thread(target=append_steadily, args=(log, rate, seconds, written, day))
        appender.start()
        seen: dict[int, float] = {}
        deadline = time.monotonic() + seconds + 300
        while appender.is_alive() or len(seen) < len(written):
            now = time.time()
            for number in probes.visible() - seen.keys():
                seen[number] = now
            if time.monotonic() > deadline:
                break
            time.sleep(poll)
        load_after = os.getloadavg()
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=300)
    latencies = [seen[number] - written[number] for number in written if number in seen]
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "lines_stored_before": stored + WARMUP_LINES,
        "lines_appended": len(written),
        "lines_visible": len(latencies),
        "rate_per_second": rate,
        "poll_seconds": poll,
        "p50_seconds": round(percentile(latencies, 0.5), 2) if latencies else None,
        "p95_seconds": round(percentile(latencies, 0.95), 2) if latencies else None,
        "min_seconds": round(min(latencies), 2) if latencies else None,
        "max_seconds": round(max(latencies), 2) if latencies else None,
        "cores": os.cpu_count(),
        "load_average_1m_before": round(load_before[0], 2),
        "load_average_1m_after": round(load_after[0], 2),
    }


def _warmed_up(table: Path) -> bool:
    from deltalake import DeltaTable

    try:
        return DeltaTable(str(table)).to_pyarrow_dataset().count_rows() > 0
    except Exception:  # not there yet
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, type=Path, help="a new folder to work in")
    parser.add_argument("--rate", type=float, default=2.0, help="lines per second (default: 2)")
    parser.add_argument(
        "--seconds", type=float, default=120.0, help="how long to append (default: 120)"
    )
    parser.add_argument(
        "--poll-seconds", type=float, default=0.2, help="network_filter polling (default: 0.2)"
    )
    parser.add_argument(
        "--stored",
        type=parse_size,
        default=0,
        help="lines landed and built before the probes, e.g. 1M (default: 0)",
    )
    parser.add_argument("--real-log", type=Path, help="the real log --stored repeats")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    options = parser.parse_args(argv)
    if options.stored and options.real_log is None:
        parser.error("--stored needs --real-log")
    figures = measure(
        options.workdir,
        options.rate,
        options.seconds,
        options.poll_seconds,
        options.stored,
        options.real_log,
    )
    text = json.dumps(figures, indent=1)
    print(text)
    if options.out:
        options.out.write_text(text + "\n", encoding="utf-8")
    return 0 if figures["lines_visible"] == figures["lines_appended"] else 1


if __name__ == "__main__":
    sys.exit(main())
