"""The harness: prepares the input, runs every variant as its own process tree, and checks
that they all keep the same rows.

Variants:

- ``cold``: ``weblogs ingest`` then ``weblogs build`` into a new warehouse;
- ``warm``: after cold, ingest 1% new lines and build again;
- ``noop``: after warm, build again with nothing new;
- ``pyspark``, ``duckdb``, ``regex``: the hand-written peers (see weblogs_bench.peers).

Identity dedupe is a no-op on one file: a line repeated within a file is a new occurrence,
hence a new request.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from weblogs_bench.memory import Run, measured
from weblogs_bench.variants import LAB_VARIANTS, BenchError, Result, size_label

# The benchmark times the pipeline; the drift monitors judge the data. Synthetic increments
# trip the daily-volume monitor, so here it warns instead of failing the build.
BUILD = ("build", "--vars", "{dq_monitor_severity: warn}")
# The increment of the warm run starts after any base log (generated logs start in March
# 2026 and 4M lines span under two months), so none of its lines can repeat a base line.
INCREMENT_START = datetime(2027, 6, 1, tzinfo=UTC)
# The hand-written peers run as this module, each in a new process.
PEERS = "weblogs_bench.peers"


@dataclass
class Settings:
    sizes: list[int]
    variants: list[str]
    log_format: str
    shape: str
    real_log: Path | None
    seed: int
    workdir: Path


class Bench:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}
        environment.pop("SPARK_REMOTE", None)
        return environment

    def base_log(self, lines: int) -> Path:
        from weblogs.generate import write_log
        from weblogs.real_shape import write_replicated_log

        settings = self.settings
        if settings.shape == "real":
            assert settings.real_log is not None
            path = self.data_dir / f"real-{lines}.log"
            if not path.exists():
                write_replicated_log(settings.real_log, path, lines)
        else:
            path = self.data_dir / f"generated-{settings.log_format}-{settings.seed}-{lines}.log"
            if not path.exists():
                write_log(path, lines, log_format=settings.log_format, seed=settings.seed)
        return path

    def increment_log(self, lines: int) -> Path:
        from weblogs.generate import write_log

        count = max(1, lines // 100)
        path = self.data_dir / f"increment-{self.settings.log_format}-{count}.log"
        if not path.exists():
            write_log(
                path,
                count,
                log_format=self.settings.log_format,
                seed=self.settings.seed + 1,
                start=INCREMENT_START,
            )
        return path

    def lab(self, variant: str, output: Path, *sources: Path) -> Run:
        argv = [sys.executable, "-m", PEERS, variant, str(output), *map(str, sources)]
        return measured(argv, self.env(), self.settings.workdir)

    def weblogs(self, run_dir: Path, *args: str) -> Run:
        env = self.env(
            WEBLOGS_WAREHOUSE=str(run_dir / "warehouse"),
            DBT_TARGET_PATH=str(run_dir / "target"),
            DBT_LOG_PATH=str(run_dir / "logs"),
        )
        return measured([sys.executable, "-m", "weblogs.cli", *args], env, run_dir)

    def network_filter_rows(self, run_dir: Path) -> int:
        run = self.weblogs(
            run_dir, "sql", "select count(*) as n from weblogs.network_filter", "--format", "json"
        )
        return int(json.loads(run.stdout.strip().splitlines()[-1])["n"])

    @staticmethod
    def parse_stage_seconds(run_dir: Path) -> float:
        """dbt's own time for the staging model (regex, UDF and the write of its table)."""
        results = json.loads((run_dir / "target" / "run_results.json").read_text())
        for result in results["results"]:
            if result["unique_id"].split(".")[-1] == "stg_apache_logs__lines":
                return float(result["execution_time"])
        return float("nan")

    def startup_seconds(self) -> float:
        """What any dbt build pays before it does anything: starting Python and importing
        dbt, Spark Connect and Sail."""
        code = "import dbt.cli.main, pysail.spark, pyspark.sql.connect.session, weblogs.cli"
        return measured([sys.executable, "-c", code], self.env(), self.settings.workdir).seconds

    def run_size(self, lines: int) -> list[Result]:
        variants = self.settings.variants
        source = self.base_log(lines)
        size_dir = self.settings.workdir / f"run-{lines}"
        shutil.rmtree(size_dir, ignore_errors=True)
        size_dir.mkdir(parents=True)
        results: list[Result] = []

        def report(result: Result) -> None:
            results.append(result)
            print(
                f"  {size_label(lines):>6} {result.variant:<8} {result.seconds:8.2f} s"
                f"  {result.peak_rss_bytes / 2**20:8.0f} MiB  {result.network_filter_rows:,} rows",
                flush=True,
            )

        for variant in (name for name in LAB_VARIANTS[::-1] if name in variants):
            output = size_dir / f"{variant}.parquet"
            run = self.lab(variant, output, source)
            rows = json.loads(run.stdout.strip().splitlines()[-1])["network_filter_rows"]
            report(Result(variant, lines, lines, run.seconds, run.peak_rss_bytes, rows))

        if "cold" in variants:
            pipeline_dir = size_dir / "pipeline"
            pipeline_dir.mkdir()
            ingest = self.weblogs(pipeline_dir, "ingest", str(source))
            build = self.weblogs(pipeline_dir, *BUILD)
            report(
                Result(
                    "cold",
                    lines,
                    lines,
                    ingest.seconds + build.seconds,
                    max(ingest.peak_rss_bytes, build.peak_rss_bytes),
                    self.network_filter_rows(pipeline_dir),
                    {
                        "ingest_seconds": ingest.seconds,
                        "build_seconds": build.seconds,
                        "ingest_peak_rss_bytes": ingest.peak_rss_bytes,
                        "build_peak_rss_bytes": build.peak_rss_bytes,
                        "parse_stage_seconds": self.parse_stage_seconds(pipeline_dir),
                    },
                )
            )
            if "warm" in variants:
                increment = self.increment_log(lines)
                ingest = self.weblogs(pipeline_dir, "ingest", str(increment))
                build = self.weblogs(pipeline_dir, *BUILD)
                # Independent expectation: the increment's own count, computed by the regex.
                extra = json.loads(
                    self.lab("regex", size_dir / "increment", increment).stdout.splitlines()[-1]
                )["network_filter_rows"]
                report(
                    Result(
                        "warm",
                        lines,
                        len(increment.read_bytes().splitlines()),
                        ingest.seconds + build.seconds,
                        max(ingest.peak_rss_bytes, build.peak_rss_bytes),
                        self.network_filter_rows(pipeline_dir),
                        {
                            "ingest_seconds": ingest.seconds,
                            "build_seconds": build.seconds,
                            "expected_new_rows": extra,
                            "parse_stage_seconds": self.parse_stage_seconds(pipeline_dir),
                        },
                    )
                )
            if "noop" in variants:
                build = self.weblogs(pipeline_dir, *BUILD)
                report(
                    Result(
                        "noop",
                        lines,
                        0,
                        build.seconds,
                        build.peak_rss_bytes,
                        self.network_filter_rows(pipeline_dir),
                        {"startup_seconds": self.startup_seconds()},
                    )
                )
        check_counts(results)
        shutil.rmtree(size_dir, ignore_errors=True)
        return results


def check_counts(results: Sequence[Result]) -> None:
    """Every variant over the same input must keep the same rows; raise otherwise."""
    by_variant = {result.variant: result for result in results}
    on_base = {
        name: result.network_filter_rows
        for name, result in by_variant.items()
        if name in (*LAB_VARIANTS, "cold")
    }
    if len(set(on_base.values())) > 1:
        raise BenchError(f"network_filter row counts disagree: {on_base}")
    if "warm" in by_variant:
        warm = by_variant["warm"]
        expected = by_variant["cold"].network_filter_rows + int(warm.detail["expected_new_rows"])
        if warm.network_filter_rows != expected:
            raise BenchError(
                f"warm run: network_filter holds {warm.network_filter_rows:,} rows, "
                f"expected {expected:,} (cold plus the increment's own count)"
            )
    if "noop" in by_variant:
        before = by_variant["warm" if "warm" in by_variant else "cold"].network_filter_rows
        if by_variant["noop"].network_filter_rows != before:
            raise BenchError(
                f"no-op run changed network_filter: {before:,} -> "
                f"{by_variant['noop'].network_filter_rows:,} rows"
            )
