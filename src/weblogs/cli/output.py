"""Rows of a query as an aligned table, CSV or JSON lines."""

from __future__ import annotations

import csv
import json
import sys


def readable(value: object) -> object:
    """Binary values (the request and line ids) as hex, as Spark's `hex()` shows them; the
    rest as they came."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex().upper()
    return value


def print_rows(columns: list[str], rows: list[tuple], output_format: str) -> None:
    rows = [tuple(readable(value) for value in row) for row in rows]
    if output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif output_format == "json":
        for row in rows:
            print(json.dumps(dict(zip(columns, row, strict=True)), default=str))
    else:
        cells = [[("" if value is None else str(value)) for value in row] for row in rows]
        widths = [
            max([len(name)] + [len(row[index]) for row in cells])
            for index, name in enumerate(columns)
        ]
        print("  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)))
        print("  ".join("-" * width for width in widths))
        for row in cells:
            print("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
