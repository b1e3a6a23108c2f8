"""Staging splits a line with the common-shape pattern first and the full grammar only for
the lines it leaves: wherever the common pattern matches, both must give the same fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from weblogs.embedded import engine
from weblogs_bench import peers

FIELD_COUNT = 11
GROUPS = "\u0001".join(f"${group}" for group in range(1, FIELD_COUNT + 1))

TRICKY = [
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a b HTTP/1.1" 200 12 "-" "UA"',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a\\"b HTTP/1.1" 200 12 "-" "UA"',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a" 200 12',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET" 200 12',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/1.0" 200 -',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/1.0" 200 12 "http://r/"',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/1.0" 200 12 "r" "cut off',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/1.0" 200 12 "r" "UA \\"q\\""',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/1.0" 200 12 "r" "UA" ',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/1.0" 200 12\t',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/1.0 HTTP/1.1" 200 12',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/x" 200 12',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /\u00e9 HTTP/1.1" 200 12 "" ""',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a\u0001b HTTP/1.1" 200 12',
    '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a HTTP/1.1" 2000 12',
    "",
    "   ",
]


def variants(line: str) -> list[str]:
    """The line, and the line bent at the places where the two patterns differ."""
    bent = [line, line + " ", line + " \t", line[:-1]]
    if '"' in line:
        bent.append(line.replace(" HTTP/", "  HTTP/", 1))
        bent.append(line.replace(" HTTP/", " /x HTTP/", 1))
        bent.append(line.replace(" HTTP/", '\\" HTTP/', 1))
        bent.append(line.rsplit('"', 1)[0])
        bent.append(line.rsplit(' "', 1)[0])
    return bent


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory):
    # Its own session: other test files run in this process stop the shared one.
    return engine.spark_session(tmp_path_factory.mktemp("warehouse"), own=True)


def test_the_common_pattern_splits_as_the_full_grammar_does(spark, sample_log: Path) -> None:
    from pyspark.sql import functions as F

    sample = sample_log.read_text(encoding="utf-8").splitlines()[:3_000]
    lines = [bent for line in [*sample, *TRICKY] for bent in variants(line)]

    def split(pattern: str):
        return F.split(F.regexp_replace("line", pattern, GROUPS), "\u0001")

    frame = spark.createDataFrame([(line,) for line in lines], "line string").select(
        "line",
        split(peers.access_log_pattern("access_log_common_pattern")).alias("common"),
        split(peers.access_log_pattern()).alias("full"),
    )
    rows = frame.collect()
    common = [row for row in rows if len(row.common) == FIELD_COUNT]
    differing = [row.line for row in common if row.common != row.full]
    assert differing == []
    # The full grammar must still be what decides every other line: some of the bent lines
    # are only its to split (spaces in the path, escapes, a cut-off user agent).
    only_full = {row.line for row in rows if len(row.full) == FIELD_COUNT} - {
        row.line for row in common
    }
    assert TRICKY[0] in only_full and TRICKY[6] in only_full
    # The point of it: nearly every sample line takes the cheap path.
    plain = {row.line for row in common}
    assert sum(line in plain for line in sample) >= 0.95 * len(sample)
