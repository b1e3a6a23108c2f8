"""Option values: sizes, durations and counts, read or refused at the command line."""

from __future__ import annotations

import argparse


def byte_size(text: str) -> int:
    """Bytes in '1048576', '64MB', '512k', '1GiB'."""
    units = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}
    cleaned = text.strip().lower().removesuffix("ib").removesuffix("b")
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned[-1:] in "kmg" else (cleaned, "")
    try:
        value = int(float(number) * units[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use e.g. 64MB)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive size: {text!r}")
    return value
