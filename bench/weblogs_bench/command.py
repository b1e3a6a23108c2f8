"""`weblogs-bench`: its options, and a run from options to report."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from weblogs_bench.spark_target import EMBEDDED, ENGINES, spark_reads
from weblogs_bench.variants import (
    SPARK_VARIANTS,
    VARIANTS,
    BenchError,
    Result,
    parse_sizes,
    size_label,
)

# The harness and the report load pandas and pyarrow: imported when a benchmark runs, not when
# the parser answers `--help` or a usage error.
if TYPE_CHECKING:
    from weblogs_bench.harness import Settings


def run(settings: Settings, out: Path | None) -> int:
    from weblogs_bench.harness import Bench
    from weblogs_bench.report import report_of, show

    bench = Bench(settings)
    started = time.monotonic()
    sizes = ", ".join(f"{size.shape} {size_label(size.lines)}" for size in settings.sizes)
    engines = ", ".join(settings.engines)
    if set(settings.engines) - {EMBEDDED}:
        engines += f" (Spark reads: {spark_reads()})"
    print(
        f"weblogs-bench: sizes {sizes}; variants {', '.join(settings.variants)}; engines {engines}",
        flush=True,
    )
    results: list[Result] = []
    for size in settings.sizes:
        results.extend(bench.run_size(size))
    show(report_of(settings, results, bench.accounting), results, bench.accounting, out)
    print(f"\nthe benchmark took {(time.monotonic() - started) / 60:.1f} min")
    return 0


def settings_from(options: argparse.Namespace) -> Settings:
    from weblogs_bench.harness import Settings

    variants = [name.strip() for name in options.variants.split(",") if name.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise BenchError(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    if {"warm", "noop", "watch", "reader"} & set(variants) and "cold" not in variants:
        raise BenchError("warm, noop, watch and reader continue a cold run: add 'cold'")
    engines = [name.strip() for name in options.engines.split(",") if name.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown or not engines:
        raise BenchError(f"unknown engines {unknown}; choose from {', '.join(ENGINES)}")
    try:
        sizes = parse_sizes(options.sizes, options.shape)
    except argparse.ArgumentTypeError as error:
        raise BenchError(str(error)) from error
    real_log = Path(options.real_log) if options.real_log else None
    if any(size.shape == "real" for size in sizes) and (real_log is None or not real_log.is_file()):
        raise BenchError("the real shape needs --real-log PATH to an existing log file")
    return Settings(
        sizes=sizes,
        variants=[name for name in VARIANTS if name in variants],
        log_format=options.log_format,
        real_log=real_log,
        seed=options.seed,
        workdir=Path(options.workdir) if options.workdir else Path(),
        settle_seconds=options.settle_seconds,
        repeats=options.repeats,
        engines=tuple(name for name in ENGINES if name in engines),
    )


def parser() -> argparse.ArgumentParser:
    """The options of `weblogs-bench`, each with its default."""
    parser = argparse.ArgumentParser(
        prog="weblogs-bench",
        description="time weblogs beside the lab's PySpark code, DuckDB and a regex bound, on "
        "the same input, and check that they keep the same rows (docs/benchmark.md)",
    )
    parser.add_argument(
        "--sizes", default="0.5M,1M,2M,4M",
        help="line counts to time, comma-separated; 'real:4M' or 'generated:2M' names the "
        "shape of one size, others take --shape (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--variants", default=",".join(VARIANTS),
        help="what to time, comma-separated (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--engines", default=EMBEDDED,
        help="where the pipeline runs, comma-separated: embedded (the local target), "
        "spark-local (the spark target, local mode), spark-cluster (the spark target on a "
        "two-worker cluster); on Spark the lab's code runs on the same Spark, and only "
        f"{', '.join(SPARK_VARIANTS)} are timed (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--format", dest="log_format", choices=["common", "combined"], default="combined",
        help="log format of generated input (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--shape", choices=["generated", "real"], default="generated",
        help="synthetic lines, or the lines of --real-log repeated to size, each copy a day "
        "later (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--real-log",
        metavar="FILE",
        help="a real access log to repeat (for the real shape; default: none)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of generated input (default: %(default)s)"
    )
    parser.add_argument(
        "--settle-seconds", type=float, default=30.0,
        help="before each variant, wait up to this long for the load average to fall below "
        "1.5 (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--repeats", type=_positive, default=3, metavar="N",
        help="+1%% runs timed for each of warm and watch, each with new lines, and ingests "
        "of the base alone; the median one is reported, every time is kept in --out "
        "(default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--out", metavar="FILE",
        help="also write the results as JSON here (default: none, printed only)",
    )  # fmt: skip
    parser.add_argument(
        "--workdir", metavar="FOLDER",
        help="where inputs and warehouses go; inputs are kept for the next run "
        "(default: a temporary folder, removed after)",
    )  # fmt: skip
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def command(options: argparse.Namespace) -> int:
    try:
        settings = settings_from(options)
        out = Path(options.out) if options.out else None
        if options.workdir:
            return run(settings, out)
        with tempfile.TemporaryDirectory(prefix="weblogs-bench-") as workdir:
            settings.workdir = Path(workdir)
            return run(settings, out)
    except BenchError as error:
        print(f"weblogs-bench: {error}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    try:
        return command(parser().parse_args(argv))
    except KeyboardInterrupt:
        print("weblogs-bench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
