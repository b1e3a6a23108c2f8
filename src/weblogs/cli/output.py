"""Rows of a query as an aligned table, CSV or JSON lines."""

from __future__ import annotations

import csv
import json
import sys

from weblogs.text import MAX_CHARS, cut


def readable(value: object) -> object:
    """Binary values (the request and line ids) as hex, as Spark's `hex()` shows them; the
    rest as they came."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex().upper()
    return value


def print_rows(
    columns: list[str], rows: list[tuple], output_format: str, max_chars: int = MAX_CHARS
) -> None:
    """Rows as CSV or JSON lines with every value whole, or as an aligned table whose values
    are cut to `max_chars` (0: whole): one long value padded every row to its width."""
    rows = [tuple(readable(value) for value in row) for row in rows]
    if output_format == "csv":
        # "\n" alone ends a line: csv's default "\r\n" left a "\r" in `$(... | tail -1)`.
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif output_format == "json":
        for row in rows:
            print(json.dumps(dict(zip(columns, row, strict=True)), default=str))
    else:
        whole = [[("" if value is None else str(value)) for value in row] for row in rows]
        cells = [[cut(value, max_chars) for value in row] for row in whole]
        widths = [
            max([len(name)] + [len(row[index]) for row in cells])
            for index, name in enumerate(columns)
        ]
        print("  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)))
        print("  ".join("-" * width for width in widths))
        for row in cells:
            print("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
        if cells != whole:
            print(f"(values cut to {max_chars} characters; --max-chars 0 prints them whole)")
