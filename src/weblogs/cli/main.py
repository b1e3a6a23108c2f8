"""The `weblogs` parser, and running the command it names with one-line errors."""

from __future__ import annotations

import argparse
import sys

from weblogs import engine, spark_server
from weblogs.cli import commands
from weblogs.cli.errors import UsageError
from weblogs.cli.targets import TARGET_ENV, resolve_target
from weblogs.cli.values import byte_size
from weblogs.ingest import IngestError, Limits
from weblogs.runner import RunLockedError

RAW_SCHEMA = "weblogs_raw"
DEFAULT_LANDING = "landing"
DESCRIPTION = "The `weblogs` command: ingest logs, build the dbt project, query the lakehouse."


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="weblogs", description=DESCRIPTION)
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
    subcommands = root.add_subparsers(dest="command", required=True)

    batch_options = argparse.ArgumentParser(add_help=False)
    batch_options.add_argument(
        "--max-files-per-batch", type=int, default=Limits.max_files, metavar="N",
        help=f"files per micro-batch at most (default {Limits.max_files})",
    )  # fmt: skip
    batch_options.add_argument(
        "--max-bytes-per-batch", type=byte_size, default=Limits.max_bytes, metavar="SIZE",
        help="bytes per micro-batch at most, e.g. 64MB (default 64MB)",
    )  # fmt: skip
    batch_options.add_argument(
        "--settle-seconds", type=float, default=Limits.settle_seconds, metavar="S",
        help="a last line without newline lands once its file is unchanged this long "
        f"(default {Limits.settle_seconds:g})",
    )  # fmt: skip

    ingest_parser = subcommands.add_parser(
        "ingest",
        parents=[batch_options],
        help="land the new lines of log files in the bronze table (each line exactly once)",
    )
    ingest_parser.add_argument("paths", nargs="+", help="log files, folders or globs")
    ingest_parser.add_argument("--site", default="default", help="site the lines belong to")
    ingest_parser.set_defaults(run=commands.ingest)

    run_parser = subcommands.add_parser(
        "run",
        parents=[batch_options],
        help="ingest new files of the landing folder, then dbt build; "
        "further arguments go to dbt build",
    )
    run_parser.add_argument(
        "--landing", default=DEFAULT_LANDING, help="landing folder: <landing>/<site>/... "
        f"(default ./{DEFAULT_LANDING})",
    )  # fmt: skip
    trigger = run_parser.add_mutually_exclusive_group()
    trigger.add_argument(
        "--once", action="store_true",
        help="drain the backlog in micro-batches, then exit (the default)",
    )  # fmt: skip
    trigger.add_argument("--every", metavar="DURATION", help="a cycle every 30s, 5m, 1h...")
    trigger.add_argument("--watch", action="store_true", help="a cycle when files arrive")
    run_parser.add_argument("--max-cycles", type=int, default=None, help=argparse.SUPPRESS)
    run_parser.add_argument(
        "--wait", action="store_true", help="queue behind another run instead of refusing"
    )
    run_parser.add_argument(
        "--compact-every", type=int, default=0, metavar="N",
        help="compact the Delta tables after every N-th batch (default: never)",
    )  # fmt: skip
    run_parser.add_argument(
        "--retain-hours", type=float, default=168.0,
        help="compaction keeps files a version of the last H hours needs (default 168)",
    )  # fmt: skip
    run_parser.set_defaults(run=commands.run)

    status_parser = subcommands.add_parser(
        "status", help="pending files, last batch, lag and counts"
    )
    status_parser.add_argument("--landing", default=None, help="landing folder to check")
    status_parser.set_defaults(run=commands.status)

    compact_parser = subcommands.add_parser(
        "compact", help="compact small files of the Delta tables and vacuum old ones"
    )
    compact_parser.add_argument("tables", nargs="*", help="schema.table (default: all)")
    compact_parser.add_argument(
        "--retain-hours", type=float, default=168.0,
        help="keep files a version of the last H hours needs (default 168, as Delta does)",
    )  # fmt: skip
    compact_parser.set_defaults(run=commands.compact)

    build_parser = subcommands.add_parser(
        "build", help="dbt build; any further arguments go to dbt (e.g. --select, --full-refresh)"
    )
    build_parser.set_defaults(run=commands.build, dbt_args=[])

    sql_parser = subcommands.add_parser("sql", help="run a query against the lakehouse")
    sql_parser.add_argument("query")
    sql_parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql_parser.set_defaults(run=commands.sql)

    generate_parser = subcommands.add_parser("generate", help="write a synthetic access log")
    generate_parser.add_argument("--lines", type=int, default=100_000)
    generate_parser.add_argument(
        "--format", dest="log_format", choices=["common", "combined"], default="combined"
    )
    generate_parser.add_argument(
        "--real-log", help="instead of synthetic lines, repeat this log's lines to --lines"
    )
    generate_parser.add_argument("--seed", type=int, default=42)
    generate_parser.add_argument("--out", required=True)
    generate_parser.set_defaults(run=commands.generate)

    bench_parser = subcommands.add_parser(
        "bench",
        help="time the pipeline beside PySpark, DuckDB and a regex bound on the same input",
    )
    from weblogs.bench import add_arguments as add_bench_arguments

    add_bench_arguments(bench_parser)
    bench_parser.set_defaults(run=commands.bench)

    demo_parser = subcommands.add_parser(
        "demo", parents=[batch_options], help="generate demo logs, ingest, build, verify"
    )
    demo_parser.add_argument("--lines", type=int, default=50_000)
    demo_parser.add_argument("--demo-dir", default=".")
    demo_parser.set_defaults(run=commands.demo)

    server_parser = subcommands.add_parser(
        "spark-server", help="start, stop or show a local Apache Spark Connect server"
    )
    server_parser.add_argument("action", choices=["start", "stop", "status"])
    server_parser.add_argument(
        "--port",
        type=int,
        default=spark_server.DEFAULT_PORT,
        help=f"port on 127.0.0.1 (default {spark_server.DEFAULT_PORT}; 0 picks a free one)",
    )
    server_parser.set_defaults(run=commands.spark_server)
    return root


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Options of the command; for `build`, arguments it does not know are dbt's."""
    root = parser()
    options, unknown = root.parse_known_args(argv)
    passes_to_dbt = options.command in ("build", "run")
    if unknown and not passes_to_dbt:
        root.error(f"unrecognized arguments: {' '.join(unknown)}")
    options.dbt_args = unknown if passes_to_dbt else []
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    options.warehouse = options.warehouse or engine.warehouse_path()
    try:
        options.target = resolve_target(options.target)
        return options.run(options)
    except (
        FileNotFoundError,
        IngestError,
        RunLockedError,
        ValueError,
        UsageError,
        spark_server.SparkServerError,
    ) as error:
        print(f"weblogs: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
