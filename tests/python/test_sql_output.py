"""What `weblogs sql` prints: lines a shell can read, DESCRIBE as its help says, and long
values cut in the table format with the whole value one option away."""

from __future__ import annotations

import subprocess

import pytest

from conftest import BIN_DIR
from weblogs.cli.output import print_rows


def weblogs(*args: str, warehouse) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN_DIR / "weblogs"), "--warehouse", str(warehouse), *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_csv_lines_end_in_a_newline_alone(capsys: pytest.CaptureFixture[str]) -> None:
    # `n=$(weblogs sql ... --format csv | tail -1)` must give a number, not "14\r".
    print_rows(["n"], [(14,), ('a "quoted",\nvalue',)], "csv")
    out = capsys.readouterr().out
    assert "\r" not in out
    assert out == 'n\n14\n"a ""quoted"",\nvalue"\n'


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("describe network_filter", "describe TABLE network_filter"),
        ("DESC weblogs.network_filter", "DESC TABLE weblogs.network_filter"),
        (
            "  -- the columns\n desc `network_filter`",
            "  -- the columns\n desc TABLE `network_filter`",
        ),
        ("describe extended network_filter", "describe TABLE extended network_filter"),
        ("describe formatted network_filter", "describe TABLE formatted network_filter"),
        # Already a form the engines take: unchanged.
        ("describe table network_filter", "describe table network_filter"),
        ("describe query select 1", "describe query select 1"),
        ("describe detail network_filter", "describe detail network_filter"),
        ("DESC HISTORY network_filter", "DESC HISTORY network_filter"),
        ("describe select 1", "describe select 1"),
        ("describe function parse_state", "describe function parse_state"),
        ("describe schema weblogs", "describe schema weblogs"),
        ("DESCRIBE HISTORY weblogs.network_filter", "DESCRIBE HISTORY weblogs.network_filter"),
        ("select 'describe x'", "select 'describe x'"),
    ],
)
def test_describe_without_table_names_a_table(typed: str, sent: str) -> None:
    from weblogs.cli.readonly import with_table_keyword

    assert with_table_keyword(typed) == sent


def test_describe_a_table_as_help_allows(tmp_path) -> None:
    """`describe <table>` and `desc <table>` answer as `describe table <table>` does, on
    the embedded engine (whose parser wants TABLE)."""
    log = tmp_path / "access.log"
    log.write_text('127.0.0.1 - - [01/Jul/1995:00:00:01 -0400] "GET / HTTP/1.0" 200 1839\n')
    warehouse = tmp_path / "warehouse"
    assert weblogs("ingest", str(log), warehouse=warehouse).returncode == 0
    expected = weblogs(
        "sql", "describe table weblogs_raw.access_log_lines", "--format", "csv",
        warehouse=warehouse,
    )  # fmt: skip
    assert expected.returncode == 0, expected.stderr
    assert "line_number" in expected.stdout
    for typed in ("describe weblogs_raw.access_log_lines", "DESC weblogs_raw.access_log_lines"):
        described = weblogs("sql", typed, "--format", "csv", warehouse=warehouse)
        assert (described.returncode, described.stderr) == (0, "")
        assert described.stdout == expected.stdout


def test_long_values_are_cut_in_the_table_format(capsys: pytest.CaptureFixture[str]) -> None:
    """One 1 MB value printed 5.2 MB for 5 rows: every row was padded to it."""
    long_value = "x" * 1_000_000
    rows = [(n, long_value if n == 3 else "short") for n in range(5)]
    print_rows(["n", "endpoint"], rows, "table")
    out = capsys.readouterr().out
    assert len(out) < 2_000
    lines = out.splitlines()
    assert lines[0].rstrip() == "n  endpoint"
    assert lines[5].startswith("3  " + "x" * 50) and lines[5].rstrip().endswith("…")
    assert "(values cut to 100 characters; --max-chars 0 prints them whole)" in out
    # The whole value, one option away; CSV and JSON always carry it whole.
    print_rows(["n", "endpoint"], rows, "table", max_chars=0)
    assert long_value in capsys.readouterr().out
    print_rows(["n", "endpoint"], rows, "csv")
    assert long_value in capsys.readouterr().out
    print_rows(["n", "endpoint"], rows[:2], "table")
    assert "cut to" not in capsys.readouterr().out


def test_max_chars_is_an_option_of_sql_with_its_default(tmp_path) -> None:
    long_query = "select repeat('y', 5000) as v"
    cut = weblogs("sql", long_query, warehouse=tmp_path / "warehouse")
    assert cut.returncode == 0, cut.stderr
    assert max(len(line) for line in cut.stdout.splitlines()) < 200
    whole = weblogs("sql", long_query, "--max-chars", "0", warehouse=tmp_path / "warehouse")
    assert "y" * 5000 in whole.stdout
    shown = weblogs("sql", "--help", warehouse=tmp_path / "warehouse").stdout
    assert "--max-chars" in shown and "(default: 100" in " ".join(shown.split())
