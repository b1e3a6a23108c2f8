"""The weblogs command line: argument handling and output formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weblogs.cli import targets
from weblogs.cli.main import main, parse_arguments
from weblogs.cli.output import print_rows


def test_build_passes_unknown_arguments_to_dbt() -> None:
    options = parse_arguments(["build", "--select", "network_filter+", "--full-refresh"])
    assert options.dbt_args == ["--select", "network_filter+", "--full-refresh"]
    assert parse_arguments(["build"]).dbt_args == []


def test_other_commands_reject_unknown_arguments() -> None:
    with pytest.raises(SystemExit):
        parse_arguments(["sql", "select 1", "--bogus"])


def test_warehouse_option_is_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    options = parse_arguments(["--warehouse", "wh", "sql", "select 1"])
    assert options.warehouse == tmp_path / "wh"


def test_output_formats(capsys: pytest.CaptureFixture[str]) -> None:
    columns, rows = ["code", "description"], [(200, "OK"), (404, None)]
    print_rows(columns, rows, "json")
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"code": 200, "description": "OK"},
        {"code": 404, "description": None},
    ]
    print_rows(columns, rows, "csv")
    assert capsys.readouterr().out.splitlines() == ["code,description", "200,OK", "404,"]
    print_rows(columns, rows, "table")
    assert capsys.readouterr().out.splitlines() == [
        "code  description",
        "----  -----------",
        "200   OK         ",
        "404              ",
        "(2 rows)",
    ]


def test_ingest_of_a_missing_path_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code = main(["--warehouse", str(tmp_path / "wh"), "ingest", str(tmp_path / "nope.log")])
    assert code == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_sql_error_is_one_clear_line(tmp_path: Path, capsys) -> None:
    code = main(["--warehouse", str(tmp_path / "wh"), "sql", "select * from no_such_table"])
    assert code == 1
    error = capsys.readouterr().err
    assert error.startswith("weblogs sql: ") and len(error.strip().splitlines()) == 1


def test_every_command_takes_a_target() -> None:
    for command in (["ingest", "x.log"], ["build"], ["sql", "select 1"], ["demo"]):
        assert parse_arguments(["--target", "spark", *command]).target == "spark"
    assert parse_arguments(["spark-server", "start", "--port", "0"]).port == 0


def test_unknown_target_names_the_known_ones(tmp_path: Path, capsys) -> None:
    code = main(["--warehouse", str(tmp_path), "--target", "prod", "sql", "select 1"])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("weblogs: no target 'prod' in the weblogs profile")
    assert error.endswith("targets: local, spark, databricks")


def test_target_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(targets.TARGET_ENV, "spark")
    assert targets.resolve_target(None) == targets.Target(name="spark", type="spark_connect")
    monkeypatch.delenv(targets.TARGET_ENV)
    assert targets.resolve_target(None) == targets.Target(name="local", type="sail_delta")


def test_databricks_without_credentials_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    for name in targets.DATABRICKS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_HOST", "adb-1.azuredatabricks.net")
    code = main(["--warehouse", str(tmp_path), "--target", "databricks", "build"])
    assert code == 2
    assert capsys.readouterr().err == (
        "weblogs: target databricks needs Databricks credentials: "
        "set DATABRICKS_HTTP_PATH, DATABRICKS_TOKEN\n"
    )


def test_ingest_on_databricks_points_to_the_landing_volume(tmp_path: Path, capsys) -> None:
    log = tmp_path / "access.log"
    log.write_text("x\n")
    code = main(["--warehouse", str(tmp_path), "--target", "databricks", "ingest", str(log)])
    assert code == 2
    assert "streaming table reading the landing volume" in capsys.readouterr().err


def test_spark_target_without_a_server_says_how_to_start_one(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    from weblogs import spark_server

    monkeypatch.setenv(spark_server.PORT_ENV, str(spark_server.free_port()))
    code = main(["--warehouse", str(tmp_path), "--target", "spark", "sql", "select 1"])
    assert code == 2
    error = capsys.readouterr().err
    assert "no Spark Connect server at sc://127.0.0.1:" in error
    assert "weblogs spark-server start" in error


def test_spark_server_needs_java(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    code = main(["--warehouse", str(tmp_path), "spark-server", "start"])
    assert code == 2
    assert "needs Java 17 or newer" in capsys.readouterr().err
    assert not (tmp_path / "_spark" / "server.json").exists()
