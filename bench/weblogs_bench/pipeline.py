"""The pipeline's variants, run as a user runs them, each command a process tree of its own:

- ``cold``: ``weblogs ingest BASE`` then ``weblogs build`` into a new warehouse;
- ``backlog``: ``weblogs run --once`` over a landing folder holding BASE, into a warehouse
  of its own: cold as a stream drains its backlog (micro-batches, then one build);
- ``ingest``: ``weblogs ingest BASE`` alone, into a new raw schema, repeated (the median
  reported);
- ``warm``: then ``weblogs ingest`` of 1% new lines and ``weblogs build`` again (repeated
  with other new lines, the median reported);
- ``noop``: then ``weblogs build`` with nothing new;
- ``watch``: then one ``weblogs run --watch`` on a landing folder: each time it is idle, 1%
  new lines are dropped in, timed until it reports the build through their batch (as many
  times as ``warm`` repeats, the median reported): the first is the run's first build, the
  next ones builds of its resident dbt child;
- ``reader``: the same with another 1%, while a reader queries network_filter in a loop
  (weblogs_bench.reader); it must only ever see the old or the new table.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from weblogs_bench.measure import EngineProcesses, Run, Watched, measured
from weblogs_bench.variants import BenchError

# The benchmark times the pipeline; the drift monitors judge the data. Synthetic increments
# trip the daily-volume monitor, so here it warns instead of failing the build.
DBT_VARS = ("--vars", "{dq_monitor_severity: warn}")
BUILD = ("build", *DBT_VARS)
BUILT = r"built through batch (\d+)"
# Models timed one by one in the report of a build; the rest count as "other models".
STAGES = {
    "stg_apache_logs__lines": "staging",
    "int_access_requests_deduplicated": "dedupe merge",
    "access_log_quarantine": "quarantine",
    "network_filter": "network_filter",
}


class Pipeline:
    """One warehouse and the weblogs commands run on it; with the processes of the engine
    they work through, where it runs beside them (a Spark server), measured with each."""

    def __init__(
        self, run_dir: Path, env: dict[str, str], engine_processes: EngineProcesses | None = None
    ) -> None:
        self.run_dir = run_dir
        self.engine_processes = engine_processes
        self.warehouse = run_dir / "warehouse"
        run_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **env,
            "WEBLOGS_WAREHOUSE": str(self.warehouse),
            "DBT_TARGET_PATH": str(run_dir / "target"),
            "DBT_LOG_PATH": str(run_dir / "logs"),
            "PYTHONUNBUFFERED": "1",
        }

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "weblogs.cli", *args]

    def weblogs(self, *args: str) -> Run:
        return measured(self.command(*args), self.env, self.run_dir, self.engine_processes)

    def network_filter_rows(self) -> int:
        run = self.weblogs(
            "sql", "select count(*) as n from weblogs.network_filter", "--format", "json"
        )
        return int(json.loads(run.stdout.strip().splitlines()[-1])["n"])

    def results_stamp(self) -> int:
        """When dbt last wrote its run results (0: never), to tell whether a build ran dbt."""
        try:
            return (self.run_dir / "target" / "run_results.json").stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def stage_seconds(self, build: Run, stamp_before: int) -> dict[str, float] | None:
        """Where a build's time went, from dbt's run results: the models named in STAGES, the
        other models, the data tests, and what is left (start-up, parsing, hooks). None when
        the build wrote no run results since `stamp_before` (nothing new: dbt did not run),
        or ran in slices (the run results are the last slice's only).

        dbt runs nodes side by side on its threads: each moment is shared out evenly among
        the nodes running then, so the stages add up to the build's time, not more."""
        if self.results_stamp() == stamp_before or build_slices(build.stdout) > 1:
            return None
        build_seconds = build.seconds
        results = json.loads((self.run_dir / "target" / "run_results.json").read_text())
        stages = dict.fromkeys([*STAGES.values(), "other models", "tests"], 0.0)
        spans = []
        for result in results["results"]:
            kind, *_, name = result["unique_id"].split(".")
            stage = "tests" if kind in ("test", "unit_test") else STAGES.get(name, "other models")
            spans.append((stage, *node_span(result)))
        for stage, seconds in shared_seconds(spans).items():
            stages[stage] += seconds
        stages["start-up, parsing and hooks"] = build_seconds - sum(stages.values())
        return {name: round(seconds, 2) for name, seconds in stages.items()}

    def ingest_and_build(self, log: Path) -> tuple[Run, Run, int]:
        """Ingest then build, and the run results' stamp from before the build."""
        ingest, stamp = self.weblogs("ingest", str(log)), self.results_stamp()
        return ingest, self.weblogs(*BUILD), stamp

    def drain(self, source: Path) -> Run:
        """`weblogs run --once` over a landing folder holding `source` (linked, not copied,
        when it can be: the same bytes, put in place before the clock starts)."""
        landing = self.run_dir / "landing"
        landing.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, landing / source.name)
        except OSError:  # another file system
            shutil.copyfile(source, landing / source.name)
        return self.weblogs("run", "--landing", str(landing), "--once", *DBT_VARS)

    def watch_cycles(
        self, landing: Path, increments: list[Path], reader: bool, settle: Callable[[], None]
    ) -> tuple[list[Run], dict]:
        """Start `weblogs run --watch`; for each increment in turn, wait until it is idle
        (and `settle`), drop the increment into the landing folder and time until the build
        through its batch is reported. The first is the run's first build; the next ones
        are builds of its resident dbt child. With `reader`, a reader queries
        network_filter during the last cycle."""
        landing.mkdir(parents=True, exist_ok=True)
        runner = Watched(
            self.command("run", "--landing", str(landing), "--watch", *DBT_VARS),
            self.env, self.run_dir, exclusive=False,
        )  # fmt: skip
        cycles, reads = [], {}
        for number, increment in enumerate(increments, start=1):
            runner.wait_idle()
            settle()
            watching = None
            if reader and number == len(increments):
                watching = Watched(
                    [sys.executable, "-m", "weblogs_bench.reader", "weblogs.network_filter"],
                    self.env, self.run_dir, exclusive=False,
                )  # fmt: skip
                watching.wait_for(r"^ready", 0, timeout=300)
            seen = len(runner.lines)
            # In place at once: a hard link under a hidden name, then renamed into view.
            hidden = landing / f".{increment.name}"
            os.link(increment, hidden)
            runner.mark()
            hidden.rename(landing / increment.name)
            runner.wait_for(BUILT, seen, timeout=3600)
            cycle = runner.run(time.perf_counter() - runner.started)
            if watching is not None:
                watching.process.send_signal(2)
                reads = json.loads(watching.finish().stdout.strip().splitlines()[-1])
            elif cycle.peak_rss_bytes == 0:
                raise BenchError("the watch cycle was not measured")
            cycles.append(cycle)
        runner.finish(interrupt=True)
        return cycles, reads


def landed_lines(stdout: str) -> int:
    """Lines `weblogs ingest` says it landed ("batches 1-4: 1,000,000 lines from ...")."""
    found = re.search(r"^batch(?:es)? [\d-]+: ([\d,]+) lines", stdout, re.MULTILINE)
    return int(found.group(1).replace(",", "")) if found else 0


def run_builds(stdout: str) -> int:
    """How many builds `weblogs run` says it ran ("run: 1 cycle(s), 7 batch(es), ...")."""
    found = re.search(r"^run: .*?(\d+) build\(s\)", stdout, re.MULTILINE)
    return int(found.group(1)) if found else 0


def build_slices(stdout: str) -> int:
    """How many dbt builds `weblogs build` ran (it says "build N of M:" when it slices)."""
    found = re.findall(r"^build \d+ of (\d+):", stdout, re.MULTILINE)
    return int(found[-1]) if found else 1


def node_span(result: dict) -> tuple[float, float]:
    """When a node of dbt's run results started and ended (epoch seconds): its compile and
    execute steps, or its execution time counted from zero where dbt recorded no steps."""
    times = [
        datetime.fromisoformat(step[edge].replace("Z", "+00:00")).timestamp()
        for step in result.get("timing") or []
        for edge in ("started_at", "completed_at")
        if step.get(edge)
    ]
    if not times:
        return 0.0, float(result["execution_time"])
    return min(times), max(times)


def shared_seconds(spans: list[tuple[str, float, float]]) -> dict[str, float]:
    """Seconds per label, each moment split evenly among the spans covering it."""
    edges = sorted({edge for _, start, end in spans for edge in (start, end)})
    shares: dict[str, float] = {}
    for start, end in itertools.pairwise(edges):
        running = [label for label, first, last in spans if first <= start and end <= last]
        for label in running:
            shares[label] = shares.get(label, 0.0) + (end - start) / len(running)
    return shares
