from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Apache's %t: 01/Aug/1995:00:00:01 -0400. Month names are English whatever the locale.
CLF_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
# The seconds field, just before the offset. strptime's %S takes 60 and 61; UTC has at
# most one leap second in a minute, so 61 is no time at all.
SECONDS_FIELD = r":([0-9]+) [^ ]*$"

# The shape Apache always writes: fixed width, two-digit fields, four-digit offset. Text of
# this shape is parsed by array arithmetic; anything else goes through pandas' strptime.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FIXED_SHAPE = (
    r"^[0-9]{2}/(?:" + "|".join(_MONTHS) + r")/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$"
)
_WIDTH = 26
_MONTH_KEYS = np.array([(ord(m[0]) << 16) | (ord(m[1]) << 8) | ord(m[2]) for m in _MONTHS])
_MONTH_ORDER = np.argsort(_MONTH_KEYS)


def parse_state_exact(timestamp_text: pd.Series) -> pd.Series:
    """Epoch seconds through pandas' strptime: any text strptime reads, null otherwise."""
    parsed = pd.to_datetime(timestamp_text, format=CLF_TIME_FORMAT, errors="coerce", utc=True)
    seconds = parsed.astype("int64") // 1_000_000_000
    second_of_minute = pd.to_numeric(
        timestamp_text.astype("string").str.extract(SECONDS_FIELD, expand=False), errors="coerce"
    )
    impossible = second_of_minute > 60
    return seconds.astype("Int64").mask(parsed.isna() | impossible)


def _parse_fixed_width(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(positions, seconds) of the texts in Apache's fixed shape with every field in range.

    Rows left out (other shapes, impossible dates, leap seconds, years pandas cannot hold)
    are for the exact parser to decide.
    """
    shaped = pc.fill_null(pc.match_substring_regex(text, _FIXED_SHAPE), False)
    positions = np.flatnonzero(shaped.to_numpy(zero_copy_only=False))
    if len(positions) == 0:
        return positions, np.zeros(0, dtype=np.int64)
    picked = pc.take(text, pa.array(positions)).cast(pa.string())
    offsets = picked.buffers()[1]
    start = np.frombuffer(offsets, dtype=np.int32, count=1, offset=picked.offset * 4)[0]
    chars = np.frombuffer(picked.buffers()[2], dtype=np.uint8)
    chars = chars[start : start + _WIDTH * len(picked)].reshape(len(picked), _WIDTH)
    digits = chars.astype(np.int64) - ord("0")

    def number(first: int, width: int) -> np.ndarray:
        value = np.zeros(len(chars), dtype=np.int64)
        for index in range(first, first + width):
            value = value * 10 + digits[:, index]
        return value

    day, year = number(0, 2), number(7, 4)
    hour, minute, second = number(12, 2), number(15, 2), number(18, 2)
    offset_hours, offset_minutes = number(22, 2), number(24, 2)
    keys = (chars[:, 3].astype(np.int64) << 16) | (chars[:, 4].astype(np.int64) << 8) | chars[:, 5]
    month = _MONTH_ORDER[np.searchsorted(_MONTH_KEYS[_MONTH_ORDER], keys)] + 1

    month_index = (year - 1970) * 12 + month - 1
    first_day = month_index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_first_day = (month_index + 1).astype("datetime64[M]").astype("datetime64[D]")
    days_in_month = next_first_day.astype(np.int64) - first_day
    valid = (
        (day >= 1)
        & (day <= days_in_month)
        & (year >= 1678)
        & (year <= 2261)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)
        & (offset_hours <= 23)
        & (offset_minutes <= 59)
    )
    sign = np.where(chars[:, 21] == ord("-"), -1, 1)
    seconds = (
        (first_day + day - 1) * 86_400
        + hour * 3_600
        + minute * 60
        + second
        - sign * (offset_hours * 3_600 + offset_minutes * 60)
    )
    return positions[valid], seconds[valid]


def parse_state(timestamp_text: pd.Series) -> pd.Series:
    """Epoch seconds (UTC) of Apache timestamps, exact to the second; null where unparseable.

    Parsed as 64-bit integers, never floats: a 32-bit float keeps 24 bits of mantissa and
    rounds today's epoch seconds to a multiple of 128 s.
    """
    text = pa.array(timestamp_text, type=pa.string(), from_pandas=True)
    positions, seconds = _parse_fixed_width(text)
    values = np.zeros(len(text), dtype=np.int64)
    missing = np.ones(len(text), dtype=bool)
    values[positions] = seconds
    missing[positions] = False
    rest = np.flatnonzero(missing)
    if len(rest):
        exact = parse_state_exact(timestamp_text.iloc[rest])
        missing[rest] = exact.isna().to_numpy()
        values[rest] = exact.fillna(0).to_numpy(dtype=np.int64)
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=timestamp_text.index)


def parse_state_batches(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
    """Vectorized entry point: one pandas Series per Arrow batch, not one call per row."""
    for timestamp_text in batches:
        yield parse_state(timestamp_text)
