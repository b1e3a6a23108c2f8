"""The report of a benchmark: a table, the scaling fit, the project's targets, and the
machine it ran on, printed and written as JSON."""

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

from weblogs_bench.harness import Settings
from weblogs_bench.variants import BASELINE, LAB_VARIANTS, VARIANTS, Result, size_label


def fit_line(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares (fixed seconds, seconds per million lines) over (million lines, s)."""
    if len({x for x, _ in points}) < 2:
        return None
    count = len(points)
    mean_x = sum(x for x, _ in points) / count
    mean_y = sum(y for _, y in points) / count
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )
    return mean_y - slope * mean_x, slope


def scaling(results: Sequence[Result]) -> dict[str, dict[str, float]]:
    fits = {}
    for variant in VARIANTS:
        if variant in ("warm", "noop"):
            continue
        points = [(r.lines / 1e6, r.seconds) for r in results if r.variant == variant]
        fitted = fit_line(points)
        if fitted:
            fits[variant] = {
                "fixed_seconds": round(fitted[0], 2),
                "seconds_per_million_lines": round(fitted[1], 2),
            }
    return fits


def targets(results: Sequence[Result]) -> list[dict[str, object]]:
    """The project's performance targets, checked at each size that has what they need."""
    checks: list[dict[str, object]] = []
    for size in sorted({r.size for r in results}):
        found = {r.variant: r for r in results if r.size == size}
        cold, warm, noop = found.get("cold"), found.get("warm"), found.get("noop")
        if cold is None:
            continue

        def check(name: str, value: float, limit: float, met: bool, size: int = size) -> None:
            checks.append(
                {
                    "size": size_label(size),
                    "target": name,
                    "value": round(value, 2),
                    "limit": limit,
                    "met": met,
                }
            )

        if BASELINE in found:
            speedup = found[BASELINE].seconds / cold.seconds
            check("cold at least 3x faster than PySpark (speed-up)", speedup, 3.0, speedup >= 3)
        if "duckdb" in found:
            ratio = cold.seconds / found["duckdb"].seconds
            check("cold not slower than DuckDB (cold / duckdb)", ratio, 1.0, ratio <= 1)
        if warm is not None:
            share = warm.seconds / cold.seconds
            check("warm +1% at most 10% of cold (warm / cold)", share, 0.10, share <= 0.10)
        if noop is not None:
            beyond = noop.seconds - noop.detail["startup_seconds"]
            check("no-op under 3 s beyond process start (s)", beyond, 3.0, beyond < 3)
        if "regex" in found:
            ratio = cold.detail["parse_stage_seconds"] / found["regex"].seconds
            check("parse + UDF stage within 3x of the regex bound", ratio, 3.0, ratio <= 3)
        if size >= 4_000_000:
            peak = max(r.peak_rss_bytes for r in (cold, warm, noop) if r is not None) / 2**30
            check("pipeline peak RSS under 2 GiB (GiB)", peak, 2.0, peak < 2)
    return checks


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
    }


def table(results: Sequence[Result]) -> str:
    header = ("size", "variant", "seconds", "lines/s", "vs pyspark", "peak RSS MiB", "rows")
    baseline = {r.size: r.seconds for r in results if r.variant == BASELINE}
    rows = []
    for result in results:
        base = baseline.get(result.size) if result.variant in (*LAB_VARIANTS, "cold") else None
        rows.append(
            (
                size_label(result.size),
                result.variant,
                f"{result.seconds:.2f}",
                f"{result.lines_per_second:,.0f}" if result.lines else "-",
                f"{base / result.seconds:.2f}x" if base else "",
                f"{result.peak_rss_bytes / 2**20:,.0f}",
                f"{result.network_filter_rows:,}",
            )
        )
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


def report_of(settings: Settings, results: Sequence[Result]) -> dict:
    """Everything a run found, as written to --out."""
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "sizes": settings.sizes,
            "variants": settings.variants,
            "format": settings.log_format,
            "shape": settings.shape,
            "seed": settings.seed,
        },
        "results": [
            {**asdict(result), "lines_per_second": round(result.lines_per_second)}
            for result in results
        ],
        "scaling": scaling(results),
        "targets": targets(results),
    }


def show(report: dict, results: Sequence[Result], out: Path | None) -> None:
    """Print the report, and write it as JSON to `out` if given."""
    print()
    print(table(results))
    if report["scaling"]:
        print("\nscaling (least squares over sizes): fixed s + s per million lines")
        for variant, fit in report["scaling"].items():
            print(
                f"  {variant:<8} {fit['fixed_seconds']:7.2f} s + "
                f"{fit['seconds_per_million_lines']:6.2f} s/M lines"
            )
    if report["targets"]:
        print("\ntargets:")
        for check in report["targets"]:
            verdict = "met" if check["met"] else "NOT met"
            print(f"  [{check['size']}] {check['target']}: {check['value']} ({verdict})")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {out}")
