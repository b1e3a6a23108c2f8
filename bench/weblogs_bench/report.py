"""The report of a benchmark: the machine, a table per shape, where the cold build's time
went, the lab's rows accounted for, and the project's goals, printed and written as JSON."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from weblogs_bench.accounting import Accounting
from weblogs_bench.goals import goals
from weblogs_bench.spark_target import spark_reads
from weblogs_bench.variants import BASELINE, PEER_VARIANTS, Result, Size, size_label


def machine() -> dict[str, object]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    versions = {}
    for package in ("pysail", "pyspark", "duckdb", "dbt-core", "dbt-spark", "deltalake"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "java": (java.stderr.splitlines() or [""])[0],
        "versions": versions,
        "load_average": Path("/proc/loadavg").read_text().split()[:3],
    }


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def table(results: Sequence[Result]) -> str:
    """Every run: time, speed, ratios to the lab's code (on the same engine) and DuckDB,
    memory, rows, load."""
    header = (
        "engine", "shape", "size", "variant", "seconds", "lines/s", "vs lab", "vs duckdb",
        "peak RSS MiB", "rows", "load before/after", "other cores",
    )  # fmt: skip
    by_size = {(r.engine, r.shape, r.size, r.variant): r for r in results}
    rows = []
    for result in results:
        compared = result.variant in (*PEER_VARIANTS, "cold", "backlog")
        ratios = []
        for reference, engine in ((BASELINE, result.engine), ("duckdb", "embedded")):
            other = by_size.get((engine, result.shape, result.size, reference))
            ratios.append(f"{other.seconds / result.seconds:.2f}x" if compared and other else "")
        rows.append(
            (
                result.engine,
                result.shape,
                size_label(result.size),
                result.variant,
                f"{result.seconds:.2f}",
                f"{result.lines_per_second:,.0f}" if result.lines else "-",
                *ratios,
                f"{result.peak_rss_bytes / 2**20:,.0f}",
                "-" if result.variant == "ingest" else f"{result.network_filter_rows:,}",
                f"{result.load_before:.2f} / {result.load_after:.2f}",
                f"{result.other_cores:.2f}" + (" busy" if result.busy else ""),
            )
        )
    return _markdown(header, rows)


def stage_table(results: Sequence[Result]) -> str:
    """Where the time of each pipeline run went: ingest, then the build by stage."""
    runs = [r for r in results if r.detail.get("stages")]
    if not runs:
        return ""
    names = list(runs[0].detail["stages"])
    header = ("engine", "shape", "size", "variant", "ingest", *names, "build")
    rows = [
        (
            r.engine, r.shape, size_label(r.size), r.variant,
            f"{r.detail.get('ingest_seconds', 0):.2f}",
            *(f"{r.detail['stages'].get(name, 0):.2f}" for name in names),
            f"{r.detail.get('build_seconds', r.seconds):.2f}",
        )
        for r in runs
    ]  # fmt: skip
    return _markdown(header, rows)


def ingest_table(results: Sequence[Result]) -> str:
    """How fast each engine landed the base: the cold run's ingest, and the ingests alone
    (the median run, and every run's seconds)."""
    rows = []
    for r in results:
        if r.variant == "cold" and "ingest_seconds" in r.detail:
            seconds, runs = r.detail["ingest_seconds"], ""
        elif r.variant == "ingest":
            seconds = r.seconds
            runs = " / ".join(f"{value:.1f}" for value in r.detail.get("runs_seconds", []))
        else:
            continue
        rows.append((
            r.engine, r.shape, size_label(r.size), r.variant, f"{seconds:.2f}",
            f"{r.size / seconds:,.0f}", runs, "busy" if r.busy else "",
        ))  # fmt: skip
    header = ("engine", "shape", "size", "run", "ingest s", "lines/s", "runs s", "")
    return _markdown(header, rows) if rows else ""


def engine_table(results: Sequence[Result]) -> str:
    """Peak resident memory of each group of a Spark engine's processes, per run (MiB)."""
    rows = []
    for r in results:
        for group, peak in sorted(r.detail.get("engine_peak_rss_bytes", {}).items()):
            rows.append(
                (r.engine, r.shape, size_label(r.size), r.variant, group, f"{peak / 2**20:,.0f}")
            )
    header = ("engine", "shape", "size", "variant", "processes", "peak RSS MiB")
    return _markdown(header, rows) if rows else ""


def accounting_lines(accounting: dict[Size, Accounting]) -> list[str]:
    lines = []
    for size, counted in accounting.items():
        lines.append(
            f"[{size.shape} {size_label(size.lines)}] {counted.lines:,} lines: the pipeline "
            f"keeps {counted.pipeline_rows:,}, the lab's code {counted.lab_rows:,}"
        )
        for side, reasons in (("only the pipeline", counted.only_pipeline),
                              ("only the lab", counted.only_lab)):  # fmt: skip
            for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
                lines.append(f"    kept by {side}: {count:,}  {reason}")
    return lines


def report_of(settings, results: Sequence[Result], accounting: dict[Size, Accounting]) -> dict:
    """Everything a run found, as written to --out."""
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "sizes": [asdict(size) for size in settings.sizes],
            "variants": settings.variants,
            "engines": list(settings.engines),
            "spark_reads": spark_reads(),
            "format": settings.log_format,
            "seed": settings.seed,
        },
        "results": [
            {
                **asdict(result),
                "lines_per_second": round(result.lines_per_second),
                "busy": result.busy,
            }
            for result in results
        ],
        "accounting": [
            {"shape": size.shape, "size": size.lines, **asdict(counted)}
            for size, counted in accounting.items()
        ],
        "goals": goals(results),
    }


def show(report: dict, results: Sequence[Result], accounting: dict, out: Path | None) -> None:
    """Print the report, and write it as JSON to `out` if given."""
    box = report["machine"]
    print(
        f"\nmachine: {box['cpu']}, {box['cores']} cores, {box['memory_gib']} GiB, "
        f"{box['os']}; load average now {' '.join(box['load_average'])}"
    )
    print()
    print(table(results))
    stages = stage_table(results)
    if stages:
        print("\nwhere the pipeline's time went (seconds):\n")
        print(stages)
    ingests = ingest_table(results)
    if ingests:
        print("\ningest alone and within cold (lines of the base per second):\n")
        print(ingests)
    engines = engine_table(results)
    if engines:
        print("\nthe Spark processes' peaks, beside each command's own (sampled every 0.5 s):\n")
        print(engines)
    if accounting:
        print("\nrows the lab's code keeps, accounted for:")
        for line in accounting_lines(accounting):
            print(f"  {line}")
    print("\ngoals:\n")
    rows = [(goal["goal"], goal["measured"], goal["verdict"]) for goal in report["goals"]]
    print(_markdown(("goal", "measured", "verdict"), rows))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {out}")
