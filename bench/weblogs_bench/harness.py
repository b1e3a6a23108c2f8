"""The harness: prepares the input, runs every variant as its own process tree, and checks
the rows each keeps.

Per engine (`--engines`): on the embedded one, the peers first (weblogs_bench.peers), then
the pipeline (weblogs_bench.pipeline); on each Spark engine, the lab's code on that Spark,
then the pipeline on the spark target, with a server of its own (weblogs_bench.spark_target)
whose processes are measured with each command. Before each variant the harness waits a
little for the load the previous one left behind to fade, and records the machine's load: a
variant that shared the machine is flagged busy.

Counts are checked, and a disagreement stops the benchmark: the peers that apply the
project's rules keep exactly the pipeline's rows; the lab's code keeps the pipeline's rows
less those only the pipeline keeps plus those only the lab keeps, as weblogs_bench.accounting
counts them line by line; each later variant adds exactly the rows its increments hold; the
pipeline keeps the same rows on every engine, and as a backlog drained by `weblogs run` as
after `ingest` then `build`; and an `ingest` or `backlog` run lands every line.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from weblogs_bench.accounting import Accounting, account
from weblogs_bench.inputs import Inputs
from weblogs_bench.measure import EngineProcesses, Run, measured, settle
from weblogs_bench.peers import access_log_pattern
from weblogs_bench.pipeline import BUILD, Pipeline, build_slices, landed_lines, run_builds
from weblogs_bench.spark_target import EMBEDDED, SPARK_WORKERS, LabCluster, SparkServer
from weblogs_bench.variants import (
    BASELINE,
    PEER_VARIANTS,
    SAME_RULES,
    BenchError,
    Result,
    Size,
    size_label,
)

# The hand-written peers run as this module, each in a new process.
PEERS = "weblogs_bench.peers"


@dataclass
class Settings:
    sizes: list[Size]
    variants: list[str]
    log_format: str
    real_log: Path | None
    seed: int
    workdir: Path
    settle_seconds: float = 30.0
    # +1% runs timed for each of warm and watch (and ingests alone); the median is reported.
    repeats: int = 3
    engines: tuple[str, ...] = (EMBEDDED,)


def combined(runs: Sequence[Run]) -> dict:
    """One result's measures from consecutive runs."""
    seconds = sum(run.seconds for run in runs)
    return {
        "seconds": seconds,
        "peak_rss_bytes": max(run.peak_rss_bytes for run in runs),
        "cpu_seconds": sum(run.cpu_seconds for run in runs),
        "load_before": runs[0].load_before,
        "load_after": runs[-1].load_after,
        "other_cores": sum(run.other_cores * run.seconds for run in runs) / (seconds or 1),
    }


def engine_detail(runs: Sequence[Run]) -> dict:
    """The peak memory of each group of an engine's processes over consecutive runs, and
    their CPU seconds (empty on the embedded engine)."""
    peaks: dict[str, int] = {}
    for run in runs:
        for group, peak in run.engine_peaks.items():
            peaks[group] = max(peaks.get(group, 0), peak)
    if not peaks:
        return {}
    return {
        "engine_peak_rss_bytes": peaks,
        "engine_cpu_seconds": round(sum(run.engine_cpu_seconds for run in runs), 2),
    }


class Bench:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.inputs = Inputs(
            settings.workdir / "data", settings.real_log, settings.log_format, settings.seed
        )
        self.grammar = access_log_pattern()
        self.accounting: dict[Size, Accounting] = {}

    def env(self) -> dict[str, str]:
        environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        for name in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED"):
            environment.pop(name, None)
        return environment

    def peer(
        self,
        variant: str,
        output: Path,
        *sources: Path | str,
        engine: EngineProcesses | None = None,
    ) -> tuple[Run, int]:
        argv = [sys.executable, "-m", PEERS, variant, str(output), *map(str, sources)]
        run = measured(argv, self.env(), self.settings.workdir, engine)
        return run, int(json.loads(run.stdout.strip().splitlines()[-1])["network_filter_rows"])

    def own_count(self, log: Path) -> int:
        """Rows network_filter gains from a log, by the regex peer (untimed)."""
        return self.peer("regex", log.with_suffix(".regex"), log)[1]

    def run_size(self, size: Size) -> list[Result]:
        variants, label = self.settings.variants, size_label(size.lines)
        source = self.inputs.base(size)
        size_dir = self.settings.workdir / f"run-{size.shape}-{size.lines}"
        shutil.rmtree(size_dir, ignore_errors=True)
        size_dir.mkdir(parents=True)
        results: list[Result] = []
        engine = EMBEDDED

        def report(variant: str, lines: int, rows: int, measures: dict, **detail) -> None:
            result = Result(variant, size.shape, size.lines, lines, network_filter_rows=rows,
                            engine=engine, detail=detail, **measures)  # fmt: skip
            results.append(result)
            print(
                f"  {engine:>13} {size.shape:>4} {label:>6} {variant:<15} {result.seconds:8.2f} s"
                f"  {result.peak_rss_bytes / 2**20:7.0f} MiB  {rows:>11,} rows"
                f"  load {result.load_before:4.2f}->{result.load_after:4.2f}"
                f"  others {result.other_cores:4.2f} cores{'  BUSY' if result.busy else ''}"
                + _runs(detail.get("runs_seconds")),
                flush=True,
            )

        if BASELINE in variants:
            self.accounting[size] = account(source, self.grammar)
        for engine in self.settings.engines:
            if engine == EMBEDDED:
                for variant in (name for name in PEER_VARIANTS if name in variants):
                    settle(self.settings.settle_seconds)
                    run, rows = self.peer(variant, size_dir / f"{variant}.parquet", source)
                    report(variant, size.lines, rows, combined([run]))
                if {"cold", "backlog", "ingest"} & set(variants):
                    self.run_pipeline(size, source, size_dir, report, Pipeline(
                        size_dir / "pipeline", self.env()))  # fmt: skip
                continue
            if BASELINE in variants:
                run, rows = self.lab_on_spark(engine, source, size_dir)
                report(BASELINE, size.lines, rows, combined([run]), **engine_detail([run]))
            if {"cold", "backlog", "ingest"} & set(variants):
                self.run_on_spark(engine, size, source, size_dir, report)
        check_counts(results, self.accounting.get(size))
        shutil.rmtree(size_dir, ignore_errors=True)
        return results

    def lab_on_spark(self, engine: str, source: Path, size_dir: Path) -> tuple[Run, int]:
        """The lab's code on the spark target's Spark in this engine's mode, writing Delta."""
        workers = SPARK_WORKERS[engine]
        output = size_dir / f"lab-{engine}.delta"
        settle(self.settings.settle_seconds)
        if not workers:
            return self.peer("pyspark-delta", output, source, "local[*]")
        lab_cluster = LabCluster(size_dir / f"lab-{engine}", workers)
        try:
            master = lab_cluster.start()
            settle(self.settings.settle_seconds)
            return self.peer("pyspark-delta", output, source, master, engine=lab_cluster.processes)
        finally:
            lab_cluster.stop()

    def run_on_spark(self, engine: str, size: Size, source: Path, size_dir: Path, report) -> None:
        """The pipeline on the spark target, on a server of its own in this engine's mode."""
        run_dir = size_dir / f"pipeline-{engine}"
        run_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.env(), "WEBLOGS_WAREHOUSE": str(run_dir / "warehouse")}
        server = SparkServer(engine, env, run_dir)
        server.start()
        print(f"  {engine}: server up in {server.start_seconds:.1f} s", flush=True)
        try:
            pipeline = Pipeline(run_dir, {**self.env(), **server.target_env()}, server.processes)
            self.run_pipeline(size, source, size_dir, report, pipeline)
        finally:
            server.stop()

    def run_pipeline(self, size: Size, source: Path, size_dir: Path, report, pipeline) -> None:
        variants = self.settings.variants
        if "cold" in variants:
            settle(self.settings.settle_seconds)
            ingest, build, stamp = pipeline.ingest_and_build(source)
            report(
                "cold", size.lines, pipeline.network_filter_rows(), combined([ingest, build]),
                ingest_seconds=ingest.seconds, build_seconds=build.seconds,
                ingest_peak_rss_bytes=ingest.peak_rss_bytes,
                build_peak_rss_bytes=build.peak_rss_bytes,
                build_slices=build_slices(build.stdout),
                stages=pipeline.stage_seconds(build, stamp), **engine_detail([ingest, build]),
                ingest_engine=engine_detail([ingest]),
            )  # fmt: skip
        if "backlog" in variants and pipeline.engine_processes is None:
            # `weblogs run` is timed on the embedded engine only (as `watch` is).
            self.run_backlog(size, source, size_dir, report)
        if "cold" not in variants:
            if "ingest" in variants:
                self.run_ingests(size, source, pipeline, report)
            return
        numbers = itertools.count(1)
        if "warm" in variants:
            increments, added = self.increments(size, numbers, self.settings.repeats)
            timed = []
            for increment in increments:
                settle(self.settings.settle_seconds)
                ingest, build, stamp = pipeline.ingest_and_build(increment)
                timed.append(([ingest, build], pipeline.stage_seconds(build, stamp)))
            (ingest, build), stages = median_run(timed)
            report(
                "warm", _lines(increments[-1]), pipeline.network_filter_rows(),
                combined([ingest, build]), increment_rows=added,
                ingest_seconds=ingest.seconds, build_seconds=build.seconds, stages=stages,
                runs_seconds=[round(sum(run.seconds for run in runs), 2) for runs, _ in timed],
                **engine_detail([ingest, build]),
            )  # fmt: skip
        if "noop" in variants:
            settle(self.settings.settle_seconds)
            stamp = pipeline.results_stamp()
            build = pipeline.weblogs(*BUILD)
            report(
                "noop", 0, pipeline.network_filter_rows(), combined([build]),
                stages=pipeline.stage_seconds(build, stamp), **engine_detail([build]),
            )  # fmt: skip
        for variant, repeats in (("watch", self.settings.repeats), ("reader", 1)):
            if variant not in variants or pipeline.engine_processes is not None:
                continue  # `weblogs run --watch` is timed on the embedded engine only
            before = pipeline.network_filter_rows()
            increments, added = self.increments(size, numbers, repeats)
            cycles, reads = pipeline.watch_cycles(
                size_dir / "landing", increments, reader=variant == "reader",
                settle=lambda: settle(self.settings.settle_seconds),
            )  # fmt: skip
            timed = [([cycle], None) for cycle in cycles]
            (cycle,), _ = median_run(timed)
            report(
                variant, _lines(increments[-1]), pipeline.network_filter_rows(), combined([cycle]),
                increment_rows=added, rows_before=before, reads=reads,
                runs_seconds=[round(runs[0].seconds, 2) for runs, _ in timed],
            )  # fmt: skip

        if "ingest" in variants:
            self.run_ingests(size, source, pipeline, report)

    def run_backlog(self, size: Size, source: Path, size_dir: Path, report) -> None:
        """Cold as a stream: `weblogs run --once` drains the base from a landing folder into
        a warehouse of its own, landing it in micro-batches, then building once (in slices of
        lines when the backlog is long)."""
        settle(self.settings.settle_seconds)
        backlog = Pipeline(size_dir / "backlog", self.env())
        run = backlog.drain(source)
        landed = landed_lines(run.stdout)
        if landed != size.lines:
            raise BenchError(f"the backlog run landed {landed:,} lines of {size.lines:,}")
        report(
            "backlog", size.lines, backlog.network_filter_rows(), combined([run]),
            builds=run_builds(run.stdout), build_slices=build_slices(run.stdout),
            **engine_detail([run]),
        )  # fmt: skip

    def run_ingests(self, size: Size, source: Path, pipeline: Pipeline, report) -> None:
        """`weblogs ingest` of the base alone, --repeats times, each into a raw schema of
        its own (on the same warehouse and server as the other runs, after them)."""
        timed = []
        for number in range(1, self.settings.repeats + 1):
            settle(self.settings.settle_seconds)
            run = pipeline.weblogs("--raw-schema", f"bench_ingest_{number}", "ingest", str(source))
            landed = landed_lines(run.stdout)
            if landed != size.lines:
                raise BenchError(f"ingest run {number} landed {landed:,} lines of {size.lines:,}")
            timed.append(([run], None))
        (run,), _ = median_run(timed)
        report(
            "ingest", size.lines, 0, combined([run]), **engine_detail([run]),
            runs_seconds=[round(runs[0].seconds, 2) for runs, _ in timed],
        )  # fmt: skip

    def increments(self, size: Size, numbers: Iterator[int], count: int) -> tuple[list[Path], int]:
        """The next `count` increments of `size`, each 1% of its lines, and the rows
        network_filter gains from them all."""
        increments = [self.inputs.increment(size, next(numbers)) for _ in range(count)]
        return increments, sum(self.own_count(increment) for increment in increments)


def median_run(timed: list[tuple[list[Run], dict | None]]) -> tuple[list[Run], dict | None]:
    """The repetition whose runs took the median time (the lower of the two middle ones for
    an even count): its figures are reported together, as measured."""
    ordered = sorted(timed, key=lambda item: sum(run.seconds for run in item[0]))
    return ordered[(len(ordered) - 1) // 2]


def _runs(seconds: list[float] | None) -> str:
    """The times of the repetitions a median was taken from, when there were several."""
    if not seconds or len(seconds) < 2:
        return ""
    return "  median of " + " / ".join(f"{value:.2f}" for value in seconds) + " s"


def _lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(2**24), b""))


def check_counts(results: Sequence[Result], accounting: Accounting | None) -> None:
    """The rows each variant keeps must be the ones it should, on every engine, and the
    pipeline's the same on all; raise otherwise."""
    for engine in sorted({result.engine for result in results}):
        check_engine_counts([r for r in results if r.engine == engine], accounting)
    cold = {r.engine: r.network_filter_rows for r in results if r.variant == "cold"}
    if len(set(cold.values())) > 1:
        raise BenchError(f"network_filter row counts differ between engines: {cold}")


def check_engine_counts(results: Sequence[Result], accounting: Accounting | None) -> None:
    """The rows each variant of one engine keeps must be the ones it should."""
    found = {result.variant: result for result in results}
    same = {
        name: found[name].network_filter_rows
        for name in (*SAME_RULES, "cold", "backlog")
        if name in found
    }
    if len(set(same.values())) > 1:
        raise BenchError(f"network_filter row counts disagree: {same}")
    if BASELINE in found and accounting is not None:
        lab = found[BASELINE].network_filter_rows
        if accounting.lab_rows != lab:
            raise BenchError(
                f"the lab's code kept {lab:,} rows; the accounting of its rules says "
                f"{accounting.lab_rows:,}"
            )
        for rows in set(same.values()):
            if accounting.pipeline_rows != rows or accounting.explained_lab_rows(rows) != lab:
                raise BenchError(
                    f"the pipeline's rules keep {rows:,} rows, the accounting says "
                    f"{accounting.pipeline_rows:,}; {accounting.explained_lab_rows(rows):,} "
                    f"explained for the lab's {lab:,} ({accounting})"
                )
    previous = found["cold"].network_filter_rows if "cold" in found else None
    for name in ("warm", "noop", "watch", "reader"):
        if name not in found or previous is None:
            continue
        result = found[name]
        expected = previous + int(result.detail.get("increment_rows", 0))
        if result.network_filter_rows != expected:
            raise BenchError(
                f"{name} run: network_filter holds {result.network_filter_rows:,} rows, "
                f"expected {expected:,} (before it plus its increments' own count)"
            )
        previous = expected
