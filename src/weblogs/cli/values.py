"""Option values: sizes, durations and counts, read or refused at the command line, so a
mistyped value is a usage error before anything runs."""

from __future__ import annotations

import argparse
import math
import re

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}


def byte_size(text: str) -> int:
    """Bytes in '1048576', '64MB', '512k', '1GiB'."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use e.g. 64MB)")
    value = int(float(match[1]) * _UNITS[match[2].lower()])
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive size: {text!r}")
    return value


def duration(text: str) -> float:
    """Seconds in '90', '90s', '5m', '1h', '1.5m'."""
    from weblogs.runner import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def whole_number(text: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
    return value


def positive_int(text: str) -> int:
    return whole_number(text, minimum=1)


def time_span(text: str) -> float:
    """A finite number, 0 or more (a time span in the option's unit)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number 0 or more, got {text!r}")
    return value


def port(text: str) -> int:
    value = whole_number(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a port: {value} (use 1-65535, or 0 for a free one)")
    return value


def spark_setting(text: str) -> tuple[str, str]:
    """A Spark setting as KEY=VALUE."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"not a setting: {text!r} (use KEY=VALUE)")
    return key.strip(), value.strip()
