"""`weblogs bench`: its options, and a run from options to report."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from weblogs_bench.harness import Bench, Settings
from weblogs_bench.report import report_of, show
from weblogs_bench.variants import VARIANTS, BenchError, Result, parse_size, size_label


def run(settings: Settings, out: Path | None) -> int:
    bench = Bench(settings)
    print(
        f"weblogs bench: {settings.shape} {settings.log_format} lines, sizes "
        f"{', '.join(map(size_label, settings.sizes))}, variants {', '.join(settings.variants)}",
        flush=True,
    )
    results: list[Result] = []
    for lines in settings.sizes:
        results.extend(bench.run_size(lines))
    show(report_of(settings, results), results, out)
    return 0


def settings_from(options: argparse.Namespace) -> Settings:
    variants = [name.strip() for name in options.variants.split(",") if name.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise BenchError(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    if {"warm", "noop"} & set(variants) and "cold" not in variants:
        raise BenchError("warm and noop runs continue a cold run: add 'cold' to --variants")
    real_log = Path(options.real_log) if options.real_log else None
    if options.shape == "real" and (real_log is None or not real_log.is_file()):
        raise BenchError("--shape real needs --real-log PATH to an existing log file")
    return Settings(
        sizes=[parse_size(size) for size in options.sizes.split(",") if size.strip()],
        variants=[name for name in VARIANTS if name in variants],
        log_format=options.log_format,
        shape=options.shape,
        real_log=real_log,
        seed=options.seed,
        workdir=Path(options.workdir) if options.workdir else Path(),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `weblogs bench`, each with its default."""
    parser.add_argument(
        "--sizes", default="0.5M,1M,2M,4M",
        help="line counts to time, comma-separated (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--variants", default=",".join(VARIANTS),
        help="what to time, comma-separated (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--format", dest="log_format", choices=["common", "combined"], default="combined",
        help="log format of generated input (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--shape", choices=["generated", "real"], default="generated",
        help="synthetic lines, or the lines of --real-log repeated to size (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--real-log", metavar="FILE", help="a real access log to repeat (with --shape real)"
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of generated input (default: %(default)s)"
    )
    parser.add_argument("--out", metavar="FILE", help="also write the results as JSON here")
    parser.add_argument(
        "--workdir", metavar="FOLDER",
        help="where inputs and warehouses go (default: a temporary folder, removed after)",
    )  # fmt: skip


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
        print(f"weblogs bench: {error}", file=sys.stderr)
        return 1
