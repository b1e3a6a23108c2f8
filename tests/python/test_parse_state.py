"""The parse_state UDF: exact epoch seconds, vectorized, null for what is not a time."""

from __future__ import annotations

import importlib.util
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT_DIR

FORMAT = "%d/%b/%Y:%H:%M:%S %z"


def load_udf_module():
    path = PROJECT_DIR / "python_udfs" / "parse_state.py"
    spec = importlib.util.spec_from_file_location("parse_state_udf", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


udf = load_udf_module()


def epoch(text: str) -> int:
    return int(datetime.strptime(text, FORMAT).timestamp())


@pytest.mark.parametrize(
    "text",
    [
        "01/Aug/1995:00:00:01 -0400",
        "17/May/2015:10:05:03 +0000",
        "29/Feb/2024:23:59:59 +0530",
        "01/Jan/2026:00:00:00 -1200",
        "31/Dec/2025:23:00:00 +1400",
        "01/Jan/1970:00:00:00 +0000",
    ],
)
def test_matches_python_strptime_exactly(text: str) -> None:
    assert udf.parse_state(pd.Series([text])).tolist() == [epoch(text)]


def test_exact_where_the_labs_float32_is_not() -> None:
    texts = pd.Series(
        [
            f"01/Aug/1995:00:{minute:02d}:{second:02d} -0400"
            for minute in range(3)
            for second in range(60)
        ]
    )
    exact = np.array([epoch(text) for text in texts])
    # The lab's UDF returned a 32-bit float: epoch seconds of 1995 get rounded.
    as_float32 = exact.astype(np.float32).astype(np.int64)
    assert np.abs(as_float32 - exact).max() >= 16
    assert udf.parse_state(texts).tolist() == exact.tolist()
    assert str(udf.parse_state(texts).dtype) == "Int64"


def test_unparseable_text_is_null_not_an_error() -> None:
    result = udf.parse_state(
        pd.Series(["31/Feb/2015:10:00:00 +0000", "garbage", None, "", "17/May/2015:10:05:03"])
    )
    assert result.isna().tolist() == [True, True, True, True, True]


def test_leap_second_reads_as_the_next_minute() -> None:
    result = udf.parse_state(pd.Series(["30/Jun/2015:23:59:60 +0000"]))
    assert result.tolist() == [epoch("01/Jul/2015:00:00:00 +0000")]


def test_second_61_is_not_a_time() -> None:
    # strptime accepts :61, but UTC never has two leap seconds in one minute.
    result = udf.parse_state(
        pd.Series(["31/Dec/2016:23:59:61 +0000", "31/Dec/2016:23:59:60 +0000", None])
    )
    assert result.isna().tolist() == [True, False, True]


def test_entry_point_maps_each_batch_to_a_batch() -> None:
    batches = [
        pd.Series(["01/Aug/1995:00:00:01 -0400"]),
        pd.Series(["bad", "01/Jan/1970:00:00:00 +0000"]),
    ]
    results = list(udf.parse_state_batches(iter(batches)))
    assert [batch.tolist() for batch in results] == [[807249601], [pd.NA, 0]]


def random_timestamps(count: int, seed: int) -> list[str | None]:
    """Apache-shaped timestamps, most valid, many out of range in one field, plus other
    shapes (one-digit day, lower-case month, colon in the offset) and nulls."""
    rng = np.random.default_rng(seed)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    texts: list[str | None] = []
    for _ in range(count):
        day = int(rng.choice([rng.integers(1, 29), rng.integers(0, 40)]))
        year = int(rng.choice([rng.integers(1970, 2040), rng.integers(0, 10000)]))
        hour, minute = int(rng.integers(0, 26)), int(rng.integers(0, 62))
        second = int(rng.choice([rng.integers(0, 60), 60, 61]))
        sign = "+" if rng.random() < 0.5 else "-"
        offset = int(rng.choice([0, 400, 530, 1200, 1400, int(rng.integers(0, 10000))]))
        text = f"{day:02d}/{rng.choice(months)}/{year:04d}:{hour:02d}:{minute:02d}:{second:02d}"
        text += f" {sign}{offset:04d}"
        shape = rng.random()
        if shape < 0.02:
            text = text.lstrip("0")
        elif shape < 0.04:
            text = text.lower()
        elif shape < 0.06:
            text = text[:-2] + ":" + text[-2:]
        elif shape < 0.07:
            texts.append(None)
            continue
        texts.append(text)
    return texts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_path_agrees_with_pandas_strptime(seed: int) -> None:
    texts = pd.Series(random_timestamps(4_000, seed), index=range(10, 4_010))
    fast, exact = udf.parse_state(texts), udf.parse_state_exact(texts)
    assert fast.dtype == exact.dtype == "Int64"
    assert fast.index.equals(texts.index)
    assert fast.isna().sum() > 100  # out-of-range fields are exercised
    assert fast.notna().sum() > 800  # (a :61 second is no time, so fewer are valid)
    pd.testing.assert_series_equal(fast, exact)
