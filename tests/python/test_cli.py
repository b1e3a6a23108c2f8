"""The weblogs command line: argument handling and output formats."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from weblogs import targets
from weblogs.cli import values
from weblogs.cli.main import main, parse_arguments
from weblogs.cli.main import parser as build_parser
from weblogs.cli.output import print_rows
from weblogs.errors import UsageError


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
    assert targets.resolve_target(None) == targets.Target(
        name="local", type="sail_delta", is_default=True
    )


def test_dbt_is_told_the_target_unless_it_is_the_profiles_default(monkeypatch) -> None:
    # Plain `dbt build` names no target; naming the default one would change what dbt keys
    # its partial parse on, and each would re-parse the whole project after the other.
    from weblogs.cli.dbt import target_arguments

    monkeypatch.delenv(targets.TARGET_ENV, raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    assert target_arguments(targets.resolve_target(None)) == []
    assert target_arguments(targets.resolve_target("local")) == []
    assert target_arguments(targets.resolve_target("spark")) == ["--target", "spark"]
    # dbt's own DBT_TARGET names another target: weblogs' choice is passed on.
    monkeypatch.setenv("DBT_TARGET", "spark")
    assert target_arguments(targets.resolve_target("local")) == ["--target", "local"]


def test_databricks_without_credentials_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    for name in targets.ENGINES["databricks"].credentials:
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
    from weblogs.spark import server as spark_server

    monkeypatch.setenv(spark_server.PORT_ENV, str(spark_server.free_port()))
    code = main(["--warehouse", str(tmp_path), "--target", "spark", "sql", "select 1"])
    assert code == 2
    error = capsys.readouterr().err
    assert "no Spark Connect server at sc://127.0.0.1:" in error
    assert "weblogs spark-server start" in error


@pytest.mark.parametrize("command", ["status", "compact"])
def test_status_and_compact_name_the_targets_they_work_on(tmp_path: Path, capsys, command) -> None:
    code = main(["--warehouse", str(tmp_path), "--target", "databricks", command])
    assert code == 2
    assert capsys.readouterr().err == (
        f"weblogs: weblogs {command} works on the embedded engine (Sail) and Apache Spark "
        "(Spark Connect); target databricks is Databricks\n"
    )


def test_an_offline_jars_folder_without_delta_is_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "jars").mkdir()
    (tmp_path / "jars" / "other.jar").write_bytes(b"")
    code = main(
        ["--warehouse", str(tmp_path), "spark-server", "start", "--jars", f"{tmp_path}/jars"]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"weblogs: {tmp_path}/jars lacks the Delta Lake jars delta-spark_4.2")
    assert len(error.strip().splitlines()) == 1
    assert not (tmp_path / "_spark" / "server.json").exists()


def test_start_options_belong_to_start(tmp_path: Path, capsys) -> None:
    code = main(["--warehouse", str(tmp_path), "spark-server", "stop", "--cluster", "2"])
    assert code == 2
    assert "options of `spark-server start`" in capsys.readouterr().err


def test_spark_server_needs_java(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    code = main(["--warehouse", str(tmp_path), "spark-server", "start"])
    assert code == 2
    assert "needs Java 17 or newer" in capsys.readouterr().err
    assert not (tmp_path / "_spark" / "server.json").exists()


# One way to call each command, without the global options.
COMMANDS = {
    "ingest": ["ingest", "x.log"],
    "run": ["run"],
    "status": ["status"],
    "report": ["report", "--out", "x.html"],
    "compact": ["compact"],
    "build": ["build"],
    "sql": ["sql", "select 1"],
    "generate": ["generate", "--out", "x.log"],
    "demo": ["demo"],
    "spark-server": ["spark-server", "status"],
}
GLOBAL_OPTIONS = ["--warehouse", "/tmp/elsewhere", "--raw-schema", "bronze", "--target", "spark"]


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_global_options_before_and_after_every_command(command: str, position: str) -> None:
    words = COMMANDS[command]
    argv = [*GLOBAL_OPTIONS, *words] if position == "before" else [*words, *GLOBAL_OPTIONS]
    options = parse_arguments(argv)
    assert options.command == command
    assert (options.warehouse, options.raw_schema, options.target) == (
        Path("/tmp/elsewhere"),
        "bronze",
        "spark",
    )
    assert options.dbt_args == []


def test_an_option_given_before_is_not_reset_by_the_commands_default() -> None:
    options = parse_arguments(["--raw-schema", "bronze", "--target", "spark", "status"])
    assert (options.raw_schema, options.target) == ("bronze", "spark")
    defaults = parse_arguments(["status"])
    assert (defaults.raw_schema, defaults.target, defaults.warehouse) == ("weblogs_raw", None, None)


def test_a_target_after_build_is_the_target_not_a_dbt_argument() -> None:
    options = parse_arguments(["build", "--target", "spark", "--select", "network_filter+"])
    assert options.target == "spark"
    assert options.dbt_args == ["--select", "network_filter+"]


@pytest.mark.parametrize(
    "dbt_target", [["-t", "spark"], ["-tspark"], ["--target=spark"], ["--target", "spark"]]
)
def test_dbts_own_target_flag_names_the_target(dbt_target: list[str]) -> None:
    for command in ("build", "run"):
        options = parse_arguments([command, "--full-refresh", *dbt_target, "--vars", "{}"])
        assert options.target == "spark"
        assert options.dbt_args == ["--full-refresh", "--vars", "{}"]


def test_two_different_targets_are_refused() -> None:
    with pytest.raises(
        UsageError, match="two targets asked for: --target local and dbt's -t spark"
    ):
        parse_arguments(["--target", "local", "build", "-t", "spark"])
    with pytest.raises(UsageError, match="two targets asked for: spark, local"):
        parse_arguments(["build", "-t", "spark", "-t", "local"])
    assert parse_arguments(["--target", "spark", "build", "-t", "spark"]).target == "spark"


def test_dbt_options_are_not_taken_for_abbreviations_of_ours() -> None:
    # --targ would be an abbreviation of --target for argparse; for dbt build it is its own.
    options = parse_arguments(["build", "--targ", "x", "--warn-error"])
    assert options.target is None
    assert options.dbt_args == ["--targ", "x", "--warn-error"]


def all_parsers(parser: argparse.ArgumentParser):
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def bench_parser() -> argparse.ArgumentParser:
    from weblogs_bench.command import parser

    return parser()


@pytest.mark.parametrize("make_parser", [build_parser, bench_parser], ids=["weblogs", "bench"])
def test_every_option_has_help_that_shows_its_default(make_parser) -> None:
    missing = []
    for name, subparser in all_parsers(make_parser()):
        formatter = subparser._get_formatter()
        for action in subparser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            label = f"{name} {'/'.join(action.option_strings) or action.dest}"
            if action.help == argparse.SUPPRESS:
                continue  # hidden on purpose (a test hook)
            if not action.help:
                missing.append(f"{label}: no help")
                continue
            shown = formatter._expand_help(action)
            if action.default in (None, False, [], argparse.SUPPRESS) or action.required:
                # No value to show: the help still says what happens without the option.
                if action.option_strings and "default" not in shown:
                    missing.append(f"{label}: no default stated in {shown!r}")
                continue
            if f"(default: {action.default}" not in shown:
                missing.append(f"{label}: default {action.default!r} not shown in {shown!r}")
    assert missing == []


def test_help_of_build_and_run_says_where_further_arguments_go() -> None:
    for name, subparser in all_parsers(build_parser()):
        if name in ("build", "run"):
            assert "Every further argument goes to dbt build" in subparser.format_help()


def test_the_size_shown_as_default_is_the_ingest_default() -> None:
    from weblogs.bronze.base import Bronze
    from weblogs.ingest.offers import BATCH_BYTES, PLANNED_BATCH_BYTES, Limits

    options = parse_arguments(["ingest", "x.log"])
    # No size given: the bronze writer's own, which the help states for both engines.
    assert options.max_bytes_per_batch is None and Limits.max_bytes is None
    assert Bronze.batch_bytes == BATCH_BYTES
    ingest_help = " ".join(dict(all_parsers(build_parser()))["ingest"].format_help().split())
    stated = f"{BATCH_BYTES // 2**20}MB; {PLANNED_BATCH_BYTES // 2**30}GiB on the spark target"
    assert ingest_help.count(f"(default: {stated}") == 1
    assert options.max_files_per_batch == Limits.max_files
    assert options.settle_seconds == Limits.settle_seconds


@pytest.mark.parametrize(
    ("text", "size"), [("64MB", 64 * 2**20), ("512k", 512 * 2**10), ("1GiB", 2**30), ("10", 10)]
)
def test_sizes(text: str, size: int) -> None:
    assert values.byte_size(text) == size


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "x.log", "--max-bytes-per-batch", ""],
        ["ingest", "x.log", "--max-bytes-per-batch", "1e400"],
        ["ingest", "x.log", "--max-bytes-per-batch", "0"],
        ["ingest", "x.log", "--max-files-per-batch", "0"],
        ["ingest", "x.log", "--settle-seconds", "-1"],
        ["ingest", "x.log", "--settle-seconds", "nan"],
        ["run", "--every", "5x"],
        ["run", "--every", "0s"],
        ["run", "--retain-hours", "inf"],
        ["generate", "--out", "x", "--lines", "-5"],
        ["spark-server", "start", "--port", "70000"],
        ["spark-server", "start", "--cluster", "-1"],
        ["spark-server", "start", "--conf", "spark.driver.memory"],
    ],
)
def test_bad_values_are_usage_errors(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_arguments(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"weblogs {argv[0]}: error: argument ")


@pytest.mark.parametrize(("argv", "code"), [(["--help"], 0), (["sql"], 2), (["nosuch"], 2)])
def test_argparse_endings_leave_the_process_like_every_other_command(
    argv: list[str], code: int, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # From the command line, help and usage errors end through `leave` as well: the
    # interpreter's own teardown may abort on the native threads of the engine's libraries.
    cli_main = sys.modules[main.__module__]
    left: list[int] = []

    def leave(code: int) -> None:
        left.append(code)

    monkeypatch.setattr(cli_main, "leave", leave)
    monkeypatch.setattr(sys, "argv", ["weblogs", *argv])
    assert cli_main.main() == code
    assert left == [code]
    assert capsys.readouterr().out.startswith("usage: weblogs") == (argv == ["--help"])


def test_help_and_usage_errors_load_no_engine_library() -> None:
    """`weblogs --help` or a mistyped command answers at once: building the parser and
    rejecting arguments import none of the libraries the commands run on."""
    heavy = ("pyarrow", "pandas", "numpy", "dbt", "pyspark", "pysail", "deltalake", "duckdb")
    probe = (
        "import sys\n"
        "from weblogs.cli.main import parse_arguments\n"
        "for argv in (['--help'], ['run', '--help'], ['nosuch'], ['sql']):\n"
        "    try:\n"
        "        parse_arguments(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & set({heavy!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert "usage: weblogs" in result.stdout
    assert result.stdout.splitlines()[-1] == "[]"
