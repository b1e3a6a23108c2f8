"""What the benchmark compares: the variants, the result of running one, and input sizes."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The project's files every peer that applies its rules reads: its grammar and status seed.
PATTERN_MACRO = PROJECT_DIR / "macros" / "parsing" / "access_log_pattern.sql"
STATUS_SEED = PROJECT_DIR / "seeds" / "http_status_codes.csv"
TIMESTAMP_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
# Hand-written peers, each a process of its own (weblogs_bench.peers).
PEER_VARIANTS = ("regex", "duckdb", "pyspark-grammar", "pyspark")
# Peers that apply the project's rules: they must keep exactly the pipeline's rows.
SAME_RULES = ("regex", "duckdb", "pyspark-grammar")
# The pipeline: cold (ingest + build), cold as a stream drains a backlog (`weblogs run
# --once` over a landing folder), +1% by ingest + build, nothing new, +1% through a running
# `weblogs run --watch`, a reader querying network_filter during a watch build, and the
# ingest of the base alone.
PIPELINE_VARIANTS = ("cold", "backlog", "warm", "noop", "watch", "reader", "ingest")
VARIANTS = (*PEER_VARIANTS, *PIPELINE_VARIANTS)
# The lab's code as written: what a user would otherwise run.
BASELINE = "pyspark"
# What runs on a Spark engine: the lab's code on that Spark, and the pipeline on the spark
# target but for `weblogs run --watch`.
SPARK_VARIANTS = (BASELINE, "cold", "warm", "noop", "ingest")
SHAPES = ("real", "generated")


class BenchError(RuntimeError):
    """A variant failed or the variants disagree."""


@dataclass
class Result:
    variant: str
    shape: str
    size: int  # lines of the base log this run belongs to
    lines: int  # lines this run processed
    seconds: float
    peak_rss_bytes: int
    network_filter_rows: int
    cpu_seconds: float = 0.0  # of the variant's own processes
    # What else ran: load averages (1 minute) before and after, and the cores other
    # processes kept busy on average while the variant ran.
    load_before: float = 0.0
    load_after: float = 0.0
    other_cores: float = 0.0
    # Where it ran: the embedded engine (and the peers beside it), or a Spark engine
    # (weblogs_bench.spark_target).
    engine: str = "embedded"
    detail: dict = field(default_factory=dict)

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0

    @property
    def busy(self) -> bool:
        """Whether other work shared the machine enough to distort the time."""
        return self.load_before > 1.5 or self.other_cores > 0.5


@dataclass(frozen=True)
class Size:
    shape: str
    lines: int


def parse_size(text: str) -> int:
    """'500k', '0.5M', '2M' or '2000' as a line count."""
    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*", text)
    if found is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 2000, 500k, 0.5M)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[found.group(2).lower()]
    return round(float(found.group(1)) * scale)


def parse_sizes(text: str, default_shape: str) -> list[Size]:
    """'1M,4M,generated:2M': sizes of the default shape, or of the shape named before one."""
    sizes = []
    for token in (part.strip() for part in text.split(",")):
        if not token:
            continue
        shape, _, amount = token.rpartition(":")
        shape = shape or default_shape
        if shape not in SHAPES:
            raise argparse.ArgumentTypeError(
                f"not a shape: {shape!r} in {token!r} (choose from {', '.join(SHAPES)})"
            )
        sizes.append(Size(shape, parse_size(amount)))
    return sizes


def size_label(lines: int) -> str:
    if lines >= 100_000 and lines % 100_000 == 0:
        return f"{lines / 1_000_000:g}M"
    if lines >= 1_000 and lines % 1_000 == 0:
        return f"{lines // 1_000}k"
    return str(lines)
