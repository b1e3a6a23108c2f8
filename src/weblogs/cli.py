"""The `weblogs` command: ingest logs, build the dbt project, query the lakehouse."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from weblogs import engine, spark_server
from weblogs.ingest import ingest

PROJECT_DIR = Path(__file__).resolve().parents[2]
RAW_SCHEMA = "weblogs_raw"
DEMO_LOG = Path("demo") / "landing" / "access.log"
# The lab's verification queries, kept as dbt analyses.
VERIFICATION_ANALYSES = ("pipeline_reconciliation", "lab_verification", "lab_status_summary")
TARGET_ENV = "WEBLOGS_TARGET"
DATABRICKS_ENV = ("DATABRICKS_HOST", "DATABRICKS_HTTP_PATH", "DATABRICKS_TOKEN")


class UsageError(Exception):
    """A command that cannot run as asked; the message says what to do instead."""


@dataclass(frozen=True)
class Target:
    """A dbt target of the project's profile: its name and adapter type."""

    name: str
    type: str


def profiles_path() -> Path:
    folder = os.environ.get("DBT_PROFILES_DIR") or str(PROJECT_DIR / "profiles")
    return Path(folder) / "profiles.yml"


def resolve_target(name: str | None) -> Target:
    """The named target (else $WEBLOGS_TARGET, else the profile's default) from the profile."""
    import yaml

    path = profiles_path()
    try:
        profile = yaml.safe_load(path.read_text(encoding="utf-8"))["weblogs"]
        outputs = profile["outputs"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
        raise UsageError(f"cannot read the weblogs profile from {path}: {error}") from None
    chosen = name or os.environ.get(TARGET_ENV) or profile.get("target", "local")
    if chosen not in outputs:
        raise UsageError(
            f"no target {chosen!r} in the weblogs profile ({path}); targets: {', '.join(outputs)}"
        )
    return Target(name=chosen, type=str(outputs[chosen].get("type", "")))


def check_credentials(target: Target) -> None:
    if target.type == "databricks":
        missing = [name for name in DATABRICKS_ENV if not os.environ.get(name)]
        if missing:
            raise UsageError(
                f"target {target.name} needs Databricks credentials: set {', '.join(missing)}"
            )


def dbt_environment(warehouse: Path) -> None:
    """Point dbt at this project's profiles and the chosen warehouse (and at the Spark
    Connect server started for it, unless $WEBLOGS_SPARK_HOST/PORT say otherwise)."""
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    os.environ.setdefault("DBT_PROJECT_DIR", str(PROJECT_DIR))
    os.environ[engine.WAREHOUSE_ENV] = str(warehouse)
    host, port = spark_server.configured_address(warehouse)
    os.environ.setdefault(spark_server.HOST_ENV, host)
    os.environ.setdefault(spark_server.PORT_ENV, str(port))


def invoke_dbt(args: list[str], warehouse: Path, target: Target):  # dbt's dbtRunnerResult
    """Run dbt in this process, so it shares the embedded engine with the caller."""
    from dbt.cli.main import dbtRunner

    check_credentials(target)
    dbt_environment(warehouse)
    return dbtRunner().invoke([*args, "--target", target.name])


def run_dbt(args: list[str], warehouse: Path, target: Target) -> int:
    return 0 if invoke_dbt(args, warehouse, target).success else 1


def compiled_analyses(names: tuple[str, ...], warehouse: Path, target: Target) -> dict[str, str]:
    """SQL of dbt analyses, compiled for the current target."""
    result = invoke_dbt(["--log-level", "none", "compile", "--select", *names], warehouse, target)
    if not result.success:
        raise RuntimeError(f"dbt compile of {', '.join(names)} failed")
    return {run.node.name: run.node.compiled_code for run in result.result.results}


def session(warehouse: Path, target: Target):  # a pyspark SparkSession
    """A Spark session on the target's engine: embedded Sail or the Spark Connect server."""
    if target.type == "sail_delta":
        try:
            import pysail  # noqa: F401
        except ImportError:
            raise UsageError(
                "the embedded engine (pysail) is not installed: run `make setup`"
            ) from None
        return engine.spark_session(warehouse)
    if target.type == "spark_connect":
        return spark_server.session(warehouse)
    raise UsageError(
        f"target {target.name} ({target.type}) is reached through dbt only: "
        f"use `weblogs build --target {target.name}` or `dbt show --target {target.name}`"
    )


def query(sql: str, warehouse: Path, target: Target) -> tuple[list[str], list[tuple]]:
    spark = session(warehouse, target)
    frame = spark.sql(sql)
    rows = frame.collect()
    return frame.columns, [tuple(row) for row in rows]


def print_rows(columns: list[str], rows: list[tuple], output_format: str) -> None:
    if output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif output_format == "json":
        for row in rows:
            print(json.dumps(dict(zip(columns, row, strict=True)), default=str))
    else:
        cells = [[("" if value is None else str(value)) for value in row] for row in rows]
        widths = [
            max([len(name)] + [len(row[index]) for row in cells])
            for index, name in enumerate(columns)
        ]
        print("  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)))
        print("  ".join("-" * width for width in widths))
        for row in cells:
            print("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def ingest_to_target(paths: list, warehouse: Path, raw_schema: str, target: Target):
    """Append files to the bronze table of the target: Delta on the embedded engine,
    parquet through the Spark Connect server."""
    if target.type == "sail_delta":
        return ingest(paths, warehouse, raw_schema)
    if target.type == "spark_connect":
        from weblogs import spark_ingest

        return spark_ingest.ingest(paths, warehouse, raw_schema, session(warehouse, target))
    if target.type == "databricks":
        raise UsageError(
            f"on Databricks the bronze table is a streaming table reading the landing "
            f"volume: copy the files there and run `weblogs build --target {target.name}`"
        )
    raise UsageError(f"weblogs ingest does not know targets of type {target.type}")


def command_ingest(options: argparse.Namespace) -> int:
    result = ingest_to_target(options.paths, options.warehouse, options.raw_schema, options.target)
    print(result.summary())
    return 0


def command_build(options: argparse.Namespace) -> int:
    return run_dbt(["build", *options.dbt_args], options.warehouse, options.target)


def command_sql(options: argparse.Namespace) -> int:
    from pyspark.errors import PySparkException

    try:
        columns, rows = query(options.query, options.warehouse, options.target)
    except PySparkException as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"weblogs sql: {first_line}", file=sys.stderr)
        return 1
    print_rows(columns, rows, options.format)
    return 0


def command_generate(options: argparse.Namespace) -> int:
    from weblogs.generate import write_log

    path = write_log(
        Path(options.out), options.lines, log_format=options.log_format, seed=options.seed
    )
    print(f"wrote {options.lines:,} lines to {path}")
    return 0


def command_demo(options: argparse.Namespace) -> int:
    """The whole lab on generated demo logs: generate, ingest, build, verify."""
    from weblogs.generate import write_log

    log_path = Path(options.demo_dir) / DEMO_LOG
    if not log_path.exists():
        write_log(log_path, options.lines, log_format="combined", seed=42)
        print(f"generated {options.lines:,} demo log lines in {log_path}")
    target = options.target
    print(ingest_to_target([log_path], options.warehouse, options.raw_schema, target).summary())
    if run_dbt(["build"], options.warehouse, target) != 0:
        print("dbt build failed", file=sys.stderr)
        return 1
    analyses = compiled_analyses(VERIFICATION_ANALYSES, options.warehouse, target)
    for name in VERIFICATION_ANALYSES:
        print(f"\n{name}:")
        print_rows(*query(analyses[name], options.warehouse, target), "table")
    return 0


def command_spark_server(options: argparse.Namespace) -> int:
    """Start, stop or show the local Apache Spark Connect server of the warehouse."""
    if options.action == "start":
        state = spark_server.start(options.warehouse, port=options.port)
        print(f"Spark Connect server on {state.url} (pid {state.pid}, log {state.log})")
        if state.port != spark_server.DEFAULT_PORT:
            print(f"for plain dbt: export {spark_server.PORT_ENV}={state.port}")
    elif options.action == "stop":
        stopped = spark_server.stop(options.warehouse)
        print("stopped the Spark Connect server" if stopped else "no Spark Connect server ran")
    else:
        state = spark_server.status(options.warehouse)
        if state is None:
            print("no Spark Connect server runs for this warehouse")
            return 1
        print(f"Spark Connect server on {state.url} (pid {state.pid}, log {state.log})")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="weblogs", description=__doc__)
    root.add_argument(
        "--warehouse",
        type=engine.warehouse_path,
        default=None,
        help=f"warehouse folder (default: ${engine.WAREHOUSE_ENV} or ./warehouse)",
    )
    root.add_argument("--raw-schema", default=RAW_SCHEMA, help="schema of the bronze table")
    root.add_argument(
        "--target",
        default=None,
        help=f"dbt target of profiles/profiles.yml: local, spark or databricks "
        f"(default: ${TARGET_ENV} or the profile's default, local)",
    )
    commands = root.add_subparsers(dest="command", required=True)

    ingest_parser = commands.add_parser("ingest", help="append log files to the bronze table")
    ingest_parser.add_argument("paths", nargs="+", help="log files or folders")
    ingest_parser.set_defaults(run=command_ingest)

    build_parser = commands.add_parser(
        "build", help="dbt build; any further arguments go to dbt (e.g. --select, --full-refresh)"
    )
    build_parser.set_defaults(run=command_build, dbt_args=[])

    sql_parser = commands.add_parser("sql", help="run a query against the lakehouse")
    sql_parser.add_argument("query")
    sql_parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql_parser.set_defaults(run=command_sql)

    generate_parser = commands.add_parser("generate", help="write a synthetic access log")
    generate_parser.add_argument("--lines", type=int, default=100_000)
    generate_parser.add_argument("--format", dest="log_format", default="combined")
    generate_parser.add_argument("--seed", type=int, default=42)
    generate_parser.add_argument("--out", required=True)
    generate_parser.set_defaults(run=command_generate)

    demo_parser = commands.add_parser("demo", help="generate demo logs, ingest, build, verify")
    demo_parser.add_argument("--lines", type=int, default=50_000)
    demo_parser.add_argument("--demo-dir", default=".")
    demo_parser.set_defaults(run=command_demo)

    server_parser = commands.add_parser(
        "spark-server", help="start, stop or show a local Apache Spark Connect server"
    )
    server_parser.add_argument("action", choices=["start", "stop", "status"])
    server_parser.add_argument(
        "--port",
        type=int,
        default=spark_server.DEFAULT_PORT,
        help=f"port on 127.0.0.1 (default {spark_server.DEFAULT_PORT}; 0 picks a free one)",
    )
    server_parser.set_defaults(run=command_spark_server)
    return root


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Options of the command; for `build`, arguments it does not know are dbt's."""
    root = parser()
    options, unknown = root.parse_known_args(argv)
    if unknown and options.command != "build":
        root.error(f"unrecognized arguments: {' '.join(unknown)}")
    options.dbt_args = unknown if options.command == "build" else []
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    options.warehouse = options.warehouse or engine.warehouse_path()
    try:
        options.target = resolve_target(options.target)
        return options.run(options)
    except (FileNotFoundError, UsageError, spark_server.SparkServerError) as error:
        print(f"weblogs: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
