"""The `weblogs` command: ingest logs, build the dbt project, query the lakehouse."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

from weblogs import engine
from weblogs.ingest import ingest

PROJECT_DIR = Path(__file__).resolve().parents[2]
RAW_SCHEMA = "weblogs_raw"
DEMO_LOG = Path("demo") / "landing" / "access.log"
# The lab's verification queries, kept as dbt analyses.
VERIFICATION_ANALYSES = ("pipeline_reconciliation", "lab_verification", "lab_status_summary")


def dbt_environment(warehouse: Path) -> None:
    """Point dbt at this project's profiles and the chosen warehouse."""
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    os.environ.setdefault("DBT_PROJECT_DIR", str(PROJECT_DIR))
    os.environ[engine.WAREHOUSE_ENV] = str(warehouse)


def invoke_dbt(args: list[str], warehouse: Path):  # returns dbt's dbtRunnerResult
    """Run dbt in this process, so it shares the embedded engine with the caller."""
    from dbt.cli.main import dbtRunner

    dbt_environment(warehouse)
    return dbtRunner().invoke(args)


def run_dbt(args: list[str], warehouse: Path) -> int:
    return 0 if invoke_dbt(args, warehouse).success else 1


def compiled_analyses(names: tuple[str, ...], warehouse: Path) -> dict[str, str]:
    """SQL of dbt analyses, compiled for the current target."""
    result = invoke_dbt(["--log-level", "none", "compile", "--select", *names], warehouse)
    if not result.success:
        raise RuntimeError(f"dbt compile of {', '.join(names)} failed")
    return {run.node.name: run.node.compiled_code for run in result.result.results}


def query(sql: str, warehouse: Path) -> tuple[list[str], list[tuple]]:
    spark = engine.spark_session(warehouse)
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


def command_ingest(options: argparse.Namespace) -> int:
    result = ingest(options.paths, options.warehouse, options.raw_schema)
    print(result.summary())
    return 0


def command_build(options: argparse.Namespace) -> int:
    return run_dbt(["build", *options.dbt_args], options.warehouse)


def command_sql(options: argparse.Namespace) -> int:
    from pyspark.errors import PySparkException

    try:
        columns, rows = query(options.query, options.warehouse)
    except PySparkException as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"weblogs sql: {first_line}", file=sys.stderr)
        return 1
    print_rows(columns, rows, options.format)
    return 0


def command_generate(options: argparse.Namespace) -> int:
    from weblogs.generate import write_log, write_replicated_log

    if options.real_log:
        path = write_replicated_log(Path(options.real_log), Path(options.out), options.lines)
        print(f"wrote {options.lines:,} lines of {options.real_log}, repeated, to {path}")
        return 0
    path = write_log(
        Path(options.out), options.lines, log_format=options.log_format, seed=options.seed
    )
    print(f"wrote {options.lines:,} lines to {path}")
    return 0


def command_bench(options: argparse.Namespace) -> int:
    from weblogs import bench

    return bench.command(options)


def command_demo(options: argparse.Namespace) -> int:
    """The whole lab on generated demo logs: generate, ingest, build, verify."""
    from weblogs.generate import write_log

    log_path = Path(options.demo_dir) / DEMO_LOG
    if not log_path.exists():
        write_log(log_path, options.lines, log_format="combined", seed=42)
        print(f"generated {options.lines:,} demo log lines in {log_path}")
    print(ingest([log_path], options.warehouse, options.raw_schema).summary())
    if run_dbt(["build"], options.warehouse) != 0:
        print("dbt build failed", file=sys.stderr)
        return 1
    analyses = compiled_analyses(VERIFICATION_ANALYSES, options.warehouse)
    for name in VERIFICATION_ANALYSES:
        print(f"\n{name}:")
        print_rows(*query(analyses[name], options.warehouse), "table")
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
    generate_parser.add_argument(
        "--format", dest="log_format", choices=["common", "combined"], default="combined"
    )
    generate_parser.add_argument(
        "--real-log", help="instead of synthetic lines, repeat this log's lines to --lines"
    )
    generate_parser.add_argument("--seed", type=int, default=42)
    generate_parser.add_argument("--out", required=True)
    generate_parser.set_defaults(run=command_generate)

    bench_parser = commands.add_parser(
        "bench",
        help="time the pipeline beside PySpark, DuckDB and a regex bound on the same input",
    )
    from weblogs.bench import add_arguments as add_bench_arguments

    add_bench_arguments(bench_parser)
    bench_parser.set_defaults(run=command_bench)

    demo_parser = commands.add_parser("demo", help="generate demo logs, ingest, build, verify")
    demo_parser.add_argument("--lines", type=int, default=50_000)
    demo_parser.add_argument("--demo-dir", default=".")
    demo_parser.set_defaults(run=command_demo)
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
        return options.run(options)
    except FileNotFoundError as error:
        print(f"weblogs: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
