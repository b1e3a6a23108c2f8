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
from weblogs.ingest import IngestError, Limits, ingest, print_progress
from weblogs.runner import RunLockedError

PROJECT_DIR = Path(__file__).resolve().parents[2]
RAW_SCHEMA = "weblogs_raw"
DEMO_LANDING = Path("demo") / "landing"
DEMO_LOG = DEMO_LANDING / "access.log"
DEFAULT_LANDING = "landing"
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


def byte_size(text: str) -> int:
    """Bytes in '1048576', '64MB', '512k', '1GiB'."""
    units = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}
    cleaned = text.strip().lower().removesuffix("ib").removesuffix("b")
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned[-1:] in "kmg" else (cleaned, "")
    try:
        value = int(float(number) * units[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use e.g. 64MB)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive size: {text!r}")
    return value


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


def run_dbt_process(args: list[str], warehouse: Path, target: Target) -> int:
    """Run dbt in a child process: memory is returned after every build of a long-running
    `weblogs run` (in process it grew by about 18 MB per build), and the child has its own
    session, so a Ctrl-C meant for the run does not abort the build in progress."""
    import subprocess

    check_credentials(target)
    dbt_environment(warehouse)
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), *args, "--target", target.name]
    return subprocess.run(command, start_new_session=True).returncode


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


def limits(options: argparse.Namespace) -> Limits:
    return Limits(
        max_files=options.max_files_per_batch,
        max_bytes=options.max_bytes_per_batch,
        settle_seconds=options.settle_seconds,
    )


def bronze_of(options: argparse.Namespace):  # a weblogs.ingest.Bronze
    """Where the target's bronze lives: Delta on the embedded engine, parquet through the
    Spark Connect server; on Databricks a streaming table that weblogs does not write."""
    target = options.target
    if target.type == "sail_delta":
        return None  # the default: Delta in the warehouse folder
    if target.type == "spark_connect":
        from weblogs.ingest.spark import SparkBronze

        return SparkBronze(session(options.warehouse, target), options.raw_schema)
    if target.type == "databricks":
        raise UsageError(
            "on Databricks the bronze table is a streaming table reading the landing "
            f"volume: copy the files there and run `weblogs build --target {target.name}`"
        )
    raise UsageError(f"weblogs does not land files for targets of type {target.type}")


def require_embedded(options: argparse.Namespace, command: str) -> None:
    if options.target.type != "sail_delta":
        raise UsageError(
            f"weblogs {command} works on the embedded engine's Delta tables; "
            f"target {options.target.name} is {options.target.type}"
        )


def command_ingest(options: argparse.Namespace) -> int:
    from deltalake.exceptions import DeltaError

    try:
        result = ingest(
            options.paths,
            options.warehouse,
            options.raw_schema,
            site=options.site,
            limits=limits(options),
            progress=print_progress,
            bronze=bronze_of(options),
        )
    except (DeltaError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        # Each micro-batch is one Delta commit: the one being written left nothing behind.
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else repr(error)
        print(
            f"weblogs ingest: cannot write to the warehouse {options.warehouse}: {reason}; "
            "the batch being written was not committed, and a rerun lands what is missing",
            file=sys.stderr,
        )
        return 1
    if sys.stderr.isatty() and result.batches:
        sys.stderr.write("\n")
    print(result.summary())
    return 1 if result.problems else 0


def command_build(options: argparse.Namespace) -> int:
    from weblogs import raw_layer
    from weblogs.runner import run_lock

    embedded = options.target.type == "sail_delta"
    with run_lock(options.warehouse, wait=True):
        if embedded and raw_layer.nothing_landed(options.warehouse, options.raw_schema):
            print(raw_layer.NOTHING_LANDED, flush=True)
        return run_dbt(["build", *options.dbt_args], options.warehouse, options.target)


def command_run(options: argparse.Namespace) -> int:
    """Ingest what is new in the landing folder, then build, under the chosen trigger."""
    from weblogs.compaction import compact_warehouse
    from weblogs.runner import Runner, StopFlag, parse_duration, run_lock

    landing = Path(options.landing).expanduser().resolve()
    if not landing.is_dir():
        raise FileNotFoundError(f"no such landing folder: {landing}")
    target = options.target
    if options.compact_every:
        require_embedded(options, "run --compact-every")

    def build() -> bool:
        return run_dbt_process(["build", *options.dbt_args], options.warehouse, target) == 0

    def compact() -> None:
        for table in compact_warehouse(options.warehouse, retain_hours=options.retain_hours):
            print(f"compacted {table.summary()}")

    stop = StopFlag()
    runner = Runner(
        landing=landing,
        warehouse=options.warehouse,
        raw_schema=options.raw_schema,
        build=build,
        limits=limits(options),
        compact_every=options.compact_every,
        compact=compact,
        stop=stop,
        bronze=bronze_of(options),
        build_records_state=target.type == "sail_delta",
    )
    with run_lock(options.warehouse, wait=options.wait), stop.installed():
        if options.every:
            report = runner.run_every(parse_duration(options.every), options.max_cycles)
        elif options.watch:
            report = runner.run_watch(max_cycles=options.max_cycles)
        else:
            report = runner.run_once()
    print(
        f"run: {report.cycles} cycle(s), {len(report.batches)} batch(es), "
        f"{report.lines:,} lines, {report.builds} build(s)"
        + (f", {report.failed_builds} failed" if report.failed_builds else "")
    )
    return 1 if report.failed_builds else 0


def command_status(options: argparse.Namespace) -> int:
    from weblogs.status import collect

    require_embedded(options, "status")
    landing = Path(options.landing).expanduser().resolve() if options.landing else None
    print(collect(options.warehouse, options.raw_schema, landing).render())
    return 0


def command_compact(options: argparse.Namespace) -> int:
    from weblogs.compaction import compact_warehouse
    from weblogs.runner import run_lock

    require_embedded(options, "compact")
    with run_lock(options.warehouse, wait=True):
        done = compact_warehouse(
            options.warehouse,
            retain_hours=options.retain_hours,
            tables=options.tables or None,
            min_files=1,
        )
    for table in done:
        print(table.summary())
    if not done:
        print("no Delta table to compact")
    return 0


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
    import weblogs_bench

    return weblogs_bench.command(options)


def command_demo(options: argparse.Namespace) -> int:
    """The whole lab on generated demo logs: generate, ingest, build, verify."""
    from weblogs.generate import write_log

    log_path = Path(options.demo_dir) / DEMO_LOG
    if not log_path.exists():
        write_log(log_path, options.lines, log_format="combined", seed=42)
        print(f"generated {options.lines:,} demo log lines in {log_path}")
    options.landing = str(Path(options.demo_dir) / DEMO_LANDING)
    options.every = options.watch = None
    options.compact_every, options.retain_hours, options.wait = 0, 168.0, True
    if command_run(options) != 0:
        print("dbt build failed", file=sys.stderr)
        return 1
    analyses = compiled_analyses(VERIFICATION_ANALYSES, options.warehouse, options.target)
    for name in VERIFICATION_ANALYSES:
        print(f"\n{name}:")
        print_rows(*query(analyses[name], options.warehouse, options.target), "table")
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

    ingest_parser = commands.add_parser(
        "ingest",
        parents=[batch_options],
        help="land the new lines of log files in the bronze table (each line exactly once)",
    )
    ingest_parser.add_argument("paths", nargs="+", help="log files, folders or globs")
    ingest_parser.add_argument("--site", default="default", help="site the lines belong to")
    ingest_parser.set_defaults(run=command_ingest)

    run_parser = commands.add_parser(
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
    run_parser.set_defaults(run=command_run)

    status_parser = commands.add_parser("status", help="pending files, last batch, lag and counts")
    status_parser.add_argument("--landing", default=None, help="landing folder to check")
    status_parser.set_defaults(run=command_status)

    compact_parser = commands.add_parser(
        "compact", help="compact small files of the Delta tables and vacuum old ones"
    )
    compact_parser.add_argument("tables", nargs="*", help="schema.table (default: all)")
    compact_parser.add_argument(
        "--retain-hours", type=float, default=168.0,
        help="keep files a version of the last H hours needs (default 168, as Delta does)",
    )  # fmt: skip
    compact_parser.set_defaults(run=command_compact)

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
    from weblogs_bench import add_arguments as add_bench_arguments

    add_bench_arguments(bench_parser)
    bench_parser.set_defaults(run=command_bench)

    demo_parser = commands.add_parser(
        "demo", parents=[batch_options], help="generate demo logs, ingest, build, verify"
    )
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
