"""The benchmark harness: its pieces, and a small run of every variant whose counts must agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_pipeline import reference_counts

from conftest import Project
from weblogs.generate import write_log
from weblogs.real_shape import write_replicated_log
from weblogs_bench import harness, peers, report, variants


def test_sizes_read_as_line_counts() -> None:
    assert [variants.parse_size(text) for text in ("2000", "500k", "0.5M", "4M")] == [
        2_000,
        500_000,
        500_000,
        4_000_000,
    ]
    assert [variants.size_label(lines) for lines in (2_000, 500_000, 2_000_000)] == [
        "2k",
        "0.5M",
        "2M",
    ]
    with pytest.raises(Exception, match="not a size"):
        variants.parse_size("two million")


def test_scaling_fit_recovers_fixed_cost_and_slope() -> None:
    fixed, slope = report.fit_line([(0.5, 7.0), (1.0, 9.0), (2.0, 13.0), (4.0, 21.0)])
    assert fixed == pytest.approx(5.0)
    assert slope == pytest.approx(4.0)
    assert report.fit_line([(1.0, 3.0)]) is None


def test_pattern_is_the_macro_grammar_unescaped() -> None:
    import re

    grammar = re.compile(peers.access_log_pattern())
    line = (
        '1.2.3.4 - - [01/Feb/2015:10:00:00 +0000] "GET /a\\"b HTTP/1.1" 200 1234 "-" "Mozilla/5.0"'
    )
    match = grammar.match(line)
    assert match is not None
    assert (match[1], match[6], match[8], match[9], match[11]) == (
        "1.2.3.4",
        '/a\\"b',
        "200",
        "1234",
        "Mozilla/5.0",
    )
    assert grammar.match('1.2.3.4 - - [x] "GET / HTTP/1.1" 200 x12') is None


@pytest.mark.parametrize("log_format", ["common", "combined"])
def test_regex_bound_counts_what_the_pipeline_keeps(tmp_path: Path, log_format: str) -> None:
    log = write_log(tmp_path / "access.log", 20_000, log_format=log_format, seed=11)
    kept = peers.lab_regex([log], peers.access_log_pattern())
    assert kept == reference_counts(log).network_filter
    assert 0 < kept < 20_000


def test_disagreeing_counts_stop_the_benchmark() -> None:
    def result(variant: str, rows: int, **detail: float) -> variants.Result:
        return variants.Result(variant, 1_000, 1_000, 1.0, 1, rows, dict(detail))

    harness.check_counts([result("regex", 800), result("duckdb", 800), result("cold", 800)])
    with pytest.raises(variants.BenchError, match="disagree"):
        harness.check_counts([result("regex", 800), result("pyspark", 799)])
    with pytest.raises(variants.BenchError, match="warm run"):
        harness.check_counts([result("cold", 800), result("warm", 805, expected_new_rows=4)])
    with pytest.raises(variants.BenchError, match="no-op"):
        harness.check_counts([result("cold", 800), result("noop", 801)])


def test_replicated_log_repeats_lines_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "real.log"
    source.write_bytes(b"first\n\nthird\r\nlast without newline")
    out = write_replicated_log(source, tmp_path / "out.log", 10)
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert lines[:-1] == [b"first", b"", b"third\r", b"last without newline"] * 2 + [
        b"first",
        b"",
    ]
    assert write_replicated_log(source, tmp_path / "none.log", 0).read_bytes() == b""


def test_each_copy_of_a_real_log_is_a_day_later(tmp_path: Path) -> None:
    """Copies are new traffic: the same requests, every date moved one day per copy, across
    month and year ends; the rest of each line is copied as it was."""
    source = tmp_path / "real.log"
    source.write_text(
        '1.2.3.4 - - [30/Dec/2015:23:59:59 +0100] "GET / HTTP/1.1" 200 5 "[01/Jan/2015:x]"\n'
        "no timestamp here\n"
        '5.6.7.8 - bob [31/Dec/2015:00:00:01 -0400] "GET /a HTTP/1.0" 404 -\n'
        "9.9.9.9 - - [31/Feb/2015:00:00:00 +0000] impossible date, copied as is\n"
    )
    out = write_replicated_log(source, tmp_path / "out.log", 10).read_text().splitlines()
    assert out[:4] == source.read_text().splitlines()
    assert out[4] == (
        '1.2.3.4 - - [31/Dec/2015:23:59:59 +0100] "GET / HTTP/1.1" 200 5 "[01/Jan/2015:x]"'
    )
    assert out[5] == "no timestamp here"
    assert out[6] == '5.6.7.8 - bob [01/Jan/2016:00:00:01 -0400] "GET /a HTTP/1.0" 404 -'
    assert out[7] == out[3]
    assert out[8].startswith("1.2.3.4 - - [01/Jan/2016:23:59:59 +0100]")
    assert out[9] == "no timestamp here"
    assert len(out) == 10


@pytest.mark.e2e
def test_every_variant_keeps_the_same_rows(project: Project) -> None:
    """All six variants on 2,000 generated lines: the harness itself checks that the counts
    agree; here they are also checked against the independent reference."""
    out = project.workdir / "bench.json"
    result = project.weblogs(
        "bench", "--sizes", "2000", "--out", str(out), "--workdir", str(project.workdir / "b")
    )
    assert "targets:" in result.stdout
    report = json.loads(out.read_text())
    rows = {entry["variant"]: entry for entry in report["results"]}
    assert set(rows) == {"regex", "duckdb", "pyspark", "cold", "warm", "noop"}
    data = project.workdir / "b" / "data"
    expected = reference_counts(data / "generated-combined-42-2000.log").network_filter
    assert {rows[name]["network_filter_rows"] for name in (*variants.LAB_VARIANTS, "cold")} == {
        expected
    }
    increment = reference_counts(data / "increment-combined-20.log").network_filter
    assert rows["warm"]["network_filter_rows"] == expected + increment
    assert rows["noop"]["network_filter_rows"] == expected + increment
    assert all(entry["seconds"] > 0 and entry["peak_rss_bytes"] > 0 for entry in rows.values())
    assert rows["pyspark"]["peak_rss_bytes"] > rows["regex"]["peak_rss_bytes"]
    assert report["machine"]["cores"] and report["targets"]
