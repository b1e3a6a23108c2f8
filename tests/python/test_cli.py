"""The weblogs command line: argument handling and output formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weblogs import cli


def test_build_passes_unknown_arguments_to_dbt() -> None:
    options = cli.parse_arguments(["build", "--select", "network_filter+", "--full-refresh"])
    assert options.dbt_args == ["--select", "network_filter+", "--full-refresh"]
    assert cli.parse_arguments(["build"]).dbt_args == []


def test_other_commands_reject_unknown_arguments() -> None:
    with pytest.raises(SystemExit):
        cli.parse_arguments(["sql", "select 1", "--bogus"])


def test_warehouse_option_is_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    options = cli.parse_arguments(["--warehouse", "wh", "sql", "select 1"])
    assert options.warehouse == tmp_path / "wh"


def test_output_formats(capsys: pytest.CaptureFixture[str]) -> None:
    columns, rows = ["code", "description"], [(200, "OK"), (404, None)]
    cli.print_rows(columns, rows, "json")
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"code": 200, "description": "OK"},
        {"code": 404, "description": None},
    ]
    cli.print_rows(columns, rows, "csv")
    assert capsys.readouterr().out.splitlines() == ["code,description", "200,OK", "404,"]
    cli.print_rows(columns, rows, "table")
    assert capsys.readouterr().out.splitlines() == [
        "code  description",
        "----  -----------",
        "200   OK         ",
        "404              ",
        "(2 rows)",
    ]


def test_ingest_of_a_missing_path_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code = cli.main(["--warehouse", str(tmp_path / "wh"), "ingest", str(tmp_path / "nope.log")])
    assert code == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_sql_error_is_one_clear_line(tmp_path: Path, capsys) -> None:
    code = cli.main(["--warehouse", str(tmp_path / "wh"), "sql", "select * from no_such_table"])
    assert code == 1
    error = capsys.readouterr().err
    assert error.startswith("weblogs sql: ") and len(error.strip().splitlines()) == 1
