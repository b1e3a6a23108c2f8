from collections.abc import Iterator

import pandas as pd

# Apache's %t: 01/Aug/1995:00:00:01 -0400. Month names are English whatever the locale.
CLF_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
# The seconds field, just before the offset. strptime's %S takes 60 and 61; UTC has at
# most one leap second in a minute, so 61 is no time at all.
SECONDS_FIELD = r":([0-9]+) [^ ]*$"


def parse_state(timestamp_text: pd.Series) -> pd.Series:
    """Epoch seconds (UTC) of Apache timestamps, exact to the second; null where unparseable.

    Parsed as 64-bit integers, never floats: a 32-bit float keeps 24 bits of mantissa and
    rounds today's epoch seconds to a multiple of 128 s.
    """
    parsed = pd.to_datetime(timestamp_text, format=CLF_TIME_FORMAT, errors="coerce", utc=True)
    seconds = parsed.astype("int64") // 1_000_000_000
    second_of_minute = pd.to_numeric(
        timestamp_text.astype("string").str.extract(SECONDS_FIELD, expand=False), errors="coerce"
    )
    impossible = second_of_minute > 60
    return seconds.astype("Int64").mask(parsed.isna() | impossible)


def parse_state_batches(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
    """Vectorized entry point: one pandas Series per Arrow batch, not one call per row."""
    for timestamp_text in batches:
        yield parse_state(timestamp_text)
