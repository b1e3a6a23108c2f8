"""What the benchmark compares: the variants, the result of running one, and input sizes."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
TIMESTAMP_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
PIPELINE_VARIANTS = ("cold", "warm", "noop")
LAB_VARIANTS = ("pyspark", "duckdb", "regex")
VARIANTS = ("regex", "duckdb", "pyspark", *PIPELINE_VARIANTS)
BASELINE = "pyspark"


class BenchError(RuntimeError):
    """A variant failed or the variants disagree."""


@dataclass
class Result:
    variant: str
    size: int  # lines of the base log this run belongs to
    lines: int  # lines this run processed
    seconds: float
    peak_rss_bytes: int
    network_filter_rows: int
    detail: dict[str, float] = field(default_factory=dict)

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


def parse_size(text: str) -> int:
    """'500k', '0.5M', '2M' or '2000' as a line count."""
    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*", text)
    if found is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 2000, 500k, 0.5M)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[found.group(2).lower()]
    return round(float(found.group(1)) * scale)


def size_label(lines: int) -> str:
    if lines >= 100_000 and lines % 100_000 == 0:
        return f"{lines / 1_000_000:g}M"
    if lines >= 1_000 and lines % 1_000 == 0:
        return f"{lines // 1_000}k"
    return str(lines)
