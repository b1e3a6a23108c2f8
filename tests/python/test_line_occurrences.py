"""The line_occurrences UDF numbers lines exactly as `weblogs ingest` does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow as pa

from weblogs.ingest.lines import occurrence_numbers

UDF_PATH = Path(__file__).resolve().parents[2] / "python_udfs" / "line_occurrences.py"


def load_udf():
    spec = importlib.util.spec_from_file_location("line_occurrences_udf", UDF_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_numbers_as_ingest() -> None:
    import pandas as pd

    udf = load_udf()
    files = [
        ["a", "b", "a", "", "a", "b", ""],
        [],
        ["only"],
        ["x"] * 5,
    ]
    [numbered] = list(udf.line_occurrences_batches(iter([pd.Series([*files, None])])))
    assert numbered.iloc[-1] is None
    for lines, numbers in zip(files, numbered.iloc[:-1], strict=True):
        expected = occurrence_numbers(pa.array(lines, type=pa.string())).tolist()
        assert list(numbers) == expected
    assert list(numbered.iloc[0]) == [1, 1, 2, 1, 3, 2, 2]
