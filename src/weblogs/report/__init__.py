"""`weblogs report`: one self-contained HTML page of what the warehouse holds."""

from __future__ import annotations

from pathlib import Path

from weblogs.freshness import Thresholds
from weblogs.report.data import ReportError, collect
from weblogs.text import MAX_CHARS

__all__ = ["ReportError", "write_report"]


def write_report(
    out: Path,
    warehouse: Path,
    schema: str,
    raw_schema: str,
    thresholds: Thresholds | None,
    max_chars: int = MAX_CHARS,
) -> Path:
    """Read the tables, draw the page and write it to `out`; long values cut to
    `max_chars` (0: whole)."""
    from weblogs.files import write_atomically
    from weblogs.report.bundle import vega_bundle
    from weblogs.report.page import render

    data = collect(warehouse, schema, raw_schema, thresholds, max_chars)
    write_atomically(out, render(data, vega_bundle()))
    return out
