"""The `weblogs` parser, and running the command it names with one-line errors."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from weblogs import layout
from weblogs.cli import commands
from weblogs.cli.dbt import ClosedOutput, first_line, take_target
from weblogs.cli.options import DEFAULT_LANDING, RAW_SCHEMA, BuildOptions, RunOptions, Trigger
from weblogs.cli.process import (
    FAILED,
    INTERRUPTED,
    PIPE_CLOSED,
    USAGE_ERROR,
    drop_output,
    flushed,
    leave,
)
from weblogs.cli.values import (
    byte_size,
    duration,
    port,
    positive_int,
    spark_setting,
    time_span,
    whole_number,
)
from weblogs.errors import CommandFailed, UsageError
from weblogs.file_lock import RunLockedError
from weblogs.ingest.offers import BATCH_BYTES, PLANNED_BATCH_BYTES, IngestError, Limits
from weblogs.spark import server as spark_server
from weblogs.targets import TARGET_ENV, resolve_target
from weblogs.text import MAX_CHARS

DESCRIPTION = "The `weblogs` command: ingest logs, build the dbt project, query the lakehouse."
# Commands whose unknown arguments are dbt build's.
PASSES_TO_DBT = ("build", "run")
# Commands that never touch the warehouse folder.
WAREHOUSE_FREE = ("generate",)
DBT_EPILOG = (
    "Every further argument goes to dbt build, e.g. --select network_filter+ --full-refresh "
    "or --vars '{...}'; `dbt build --help` lists them. dbt's -t/--target is taken as the target."
)


def global_options(after_command: bool) -> argparse.ArgumentParser:
    """--warehouse, --raw-schema and --target, declared once for the root parser (before the
    command) and for every command's parser (after it). The commands' copies default to
    SUPPRESS, so a value given before the command is not overwritten by a default."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if after_command else value

    shared = argparse.ArgumentParser(add_help=False)
    group = shared.add_argument_group("global options (before or after the command)")
    group.add_argument(
        "--warehouse", type=layout.warehouse_path, default=default(None), metavar="FOLDER",
        help=f"warehouse folder (default: ${layout.WAREHOUSE_ENV} or ./warehouse)",
    )  # fmt: skip
    group.add_argument(
        "--raw-schema", default=default(RAW_SCHEMA), metavar="SCHEMA",
        help=f"schema of the bronze table (default: {RAW_SCHEMA})",
    )  # fmt: skip
    group.add_argument(
        "--target", default=default(None), metavar="NAME",
        help="dbt target of the weblogs profile: local, spark or databricks "
        f"(default: ${TARGET_ENV}, else the profile's default, local)",
    )  # fmt: skip
    return shared


def batch_options() -> argparse.ArgumentParser:
    """The bounds of a micro-batch, for the commands that land files."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--max-files-per-batch", type=positive_int, default=Limits.max_files, metavar="N",
        help="files per micro-batch at most (default: %(default)s)",
    )  # fmt: skip
    shared.add_argument(
        "--max-bytes-per-batch", type=byte_size, default=None, metavar="SIZE",
        help="bytes per micro-batch at most, e.g. 512kB, 64MB, 1GiB (default: "
        f"{BATCH_BYTES // 2**20}MB; {PLANNED_BATCH_BYTES // 2**30}GiB on the spark target, where "
        "Spark's executors read the files)",
    )  # fmt: skip
    shared.add_argument(
        "--settle-seconds", type=time_span, default=Limits.settle_seconds, metavar="S",
        help="a last line without newline lands once its file is unchanged this long "
        "(default: %(default)s)",
    )  # fmt: skip
    return shared


def max_chars_option(where: str) -> dict:
    """--max-chars of `weblogs sql` and `weblogs report`: long values cut where people read."""
    return dict(
        type=whole_number, default=MAX_CHARS, metavar="N",
        help=f"in {where}, values longer than N characters are cut, ending in … "
        "(default: %(default)s; 0: every value whole)",
    )  # fmt: skip


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="weblogs", description=DESCRIPTION, parents=[global_options(after_command=False)]
    )
    after = global_options(after_command=True)
    batch = batch_options()
    forcing = argparse.ArgumentParser(add_help=False)
    forcing.add_argument(
        "--force", action="store_true", default=BuildOptions.force,
        help="build even when nothing is new since the last build (default: skip it, saying so)",
    )  # fmt: skip
    slicing = argparse.ArgumentParser(add_help=False)
    slicing.add_argument(
        "--lines-per-build", type=whole_number, default=BuildOptions.lines_per_build, metavar="N",
        help="when the models are behind bronze by more lines, build in slices of whole "
        "batches of at most N lines, one dbt build each, so memory follows the slice "
        "(default: %(default)s; 0: one build)",
    )  # fmt: skip
    retention = argparse.ArgumentParser(add_help=False)
    retention.add_argument(
        "--retain-hours", type=time_span, default=RunOptions.retain_hours, metavar="H",
        help="compaction keeps the files a version of the last H hours needs, as Delta does "
        "(default: %(default)s)",
    )  # fmt: skip
    subcommands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, *parents: argparse.ArgumentParser, **kwargs):
        return subcommands.add_parser(
            name, help=summary, description=summary, parents=[after, *parents], **kwargs
        )

    ingest = command(
        "ingest", "land the new lines of log files in the bronze table (each line exactly once)",
        batch,
    )  # fmt: skip
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="log files, folders or globs")
    ingest.add_argument(
        "--site", default="default", help="site the lines belong to (default: %(default)s)"
    )
    ingest.set_defaults(run=commands.runner("ingest"))

    run = command(
        "run", "ingest the new files of the landing folder, then dbt build", batch, retention,
        forcing, slicing, epilog=DBT_EPILOG, allow_abbrev=False,
    )  # fmt: skip
    run.add_argument(
        "--landing", default=DEFAULT_LANDING, metavar="FOLDER",
        help="landing folder, <landing>/<site>/<files> (default: %(default)s)",
    )  # fmt: skip
    trigger = run.add_mutually_exclusive_group()
    trigger.add_argument(
        "--once", action="store_true",
        help="drain the backlog in micro-batches, then exit (the default trigger)",
    )  # fmt: skip
    trigger.add_argument(
        "--every", type=duration, default=Trigger.every_seconds, metavar="DURATION",
        help="a cycle every 30s, 5m, 1h... (default: none, one cycle)",
    )  # fmt: skip
    trigger.add_argument(
        "--watch", action="store_true", default=Trigger.watch,
        help="a cycle when files arrive (default: off, one cycle)",
    )  # fmt: skip
    run.add_argument(
        "--rest-within", type=duration, default=None, metavar="DURATION",
        help="under --watch, while lines keep coming, each micro-batch builds network_filter's "
        "path and the rest of the project waits until files pause, at most this long "
        "(default: 30s)",
    )  # fmt: skip
    run.add_argument(
        "--max-cycles", type=positive_int, default=Trigger.max_cycles, help=argparse.SUPPRESS
    )
    run.add_argument(
        "--wait", action="store_true", default=RunOptions.wait,
        help="queue behind another command holding the warehouse (default: refuse, naming it)",
    )  # fmt: skip
    run.add_argument(
        "--compact-every", type=whole_number, default=RunOptions.compact_every, metavar="N",
        help="compact the Delta tables after every N-th batch (default: %(default)s, never)",
    )  # fmt: skip
    run.set_defaults(run=commands.runner("run"))

    status = command("status", "pending files, last batch, lag, freshness, latency and row counts")
    status.add_argument(
        "--landing", default=None, metavar="FOLDER",
        help="also list the files of this landing folder not landed yet (default: none)",
    )  # fmt: skip
    status.set_defaults(run=commands.runner("status"))

    report = command("report", "write one HTML page of the traffic, quality and freshness")
    report.add_argument(
        "--out", default="report.html", metavar="FILE",
        help="the page to write; it opens offline (default: %(default)s)",
    )  # fmt: skip
    report.add_argument("--max-chars", **max_chars_option("the page"))
    report.set_defaults(run=commands.runner("report"))

    compact = command(
        "compact", "compact the small files of the Delta tables, vacuum old ones", retention
    )
    compact.add_argument(
        "tables", nargs="*", metavar="SCHEMA.TABLE", help="tables to compact (default: all)"
    )
    compact.set_defaults(run=commands.runner("compact"))

    build = command(
        "build", "dbt build on the target, once the warehouse is free", forcing, slicing,
        usage="weblogs build [-h] [--force] [--lines-per-build N] [global options] "
        "[dbt build arguments ...]",
        epilog=DBT_EPILOG, allow_abbrev=False,
    )  # fmt: skip
    build.set_defaults(run=commands.runner("build"))

    sql = command("sql", "run one read-only query against the lakehouse")
    sql.add_argument(
        "query",
        help="a SELECT, WITH, VALUES, TABLE, SHOW, DESCRIBE or EXPLAIN statement; "
        "unqualified table names are the models' (the target's schema)",
    )
    sql.add_argument(
        "--format", choices=["table", "csv", "json"], default="table",
        help="table, csv, or json (one object a line) (default: %(default)s)",
    )  # fmt: skip
    sql.add_argument("--max-chars", **max_chars_option("the table format"))
    sql.set_defaults(run=commands.runner("sql"))

    generate = command("generate", "write a synthetic access log")
    generate.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="the log file to write (required, no default)",
    )
    generate.add_argument(
        "--lines", type=whole_number, default=100_000, help="lines to write (default: %(default)s)"
    )
    generate.add_argument(
        "--format", dest="log_format", choices=["common", "combined"], default="combined",
        help="Apache common or combined log format (default: %(default)s)",
    )  # fmt: skip
    generate.add_argument(
        "--real-log", metavar="FILE",
        help="instead of synthetic lines, repeat this log's lines to --lines, each copy's "
        "request dates a day later than the copy before (default: none, synthetic lines)",
    )  # fmt: skip
    generate.add_argument(
        "--seed", type=int, default=42, help="seed of the random lines (default: %(default)s)"
    )
    generate.set_defaults(run=commands.runner("generate"))

    demo = command("demo", "generate demo logs, ingest, build and verify", batch)
    demo.add_argument(
        "--lines", type=whole_number, default=50_000,
        help="lines of the generated demo log (default: %(default)s)",
    )  # fmt: skip
    demo.add_argument(
        "--demo-dir", default=".", metavar="FOLDER",
        help="where demo/landing/access.log is written (default: %(default)s)",
    )  # fmt: skip
    demo.set_defaults(run=commands.runner("demo"))

    server = command("spark-server", "start, stop or show a local Apache Spark Connect server")
    server.add_argument("action", choices=["start", "stop", "status"], help="start, stop or status")
    server.add_argument(
        "--port", type=port, default=spark_server.DEFAULT_PORT,
        help="port on 127.0.0.1; 0 picks a free one (default: %(default)s)",
    )  # fmt: skip
    server.add_argument(
        "--cluster", type=whole_number, default=0, metavar="WORKERS",
        help="start: also a standalone master and this many workers on 127.0.0.1, each its "
        "own JVM, the server their driver (default: %(default)s, local mode)",
    )  # fmt: skip
    server.add_argument(
        "--jars", type=Path, default=None, metavar="FOLDER",
        help="start: Delta Lake jars from this folder instead of Maven Central and the jar "
        "cache, for a machine without network (default: none)",
    )  # fmt: skip
    server.add_argument(
        "--conf", type=spark_setting, action="append", default=[], metavar="KEY=VALUE",
        help="start: a further Spark setting of the server, e.g. spark.driver.memory=4g; "
        "repeatable (default: none)",
    )  # fmt: skip
    server.set_defaults(run=commands.runner("spark_server"))
    return root


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Options of the command; for `build` and `run`, the arguments they do not know are
    dbt build's, except dbt's own -t/--target, which names the target."""
    root = parser()
    options, unknown = root.parse_known_args(argv)
    options.dbt_args = []
    if options.command not in PASSES_TO_DBT:
        if unknown:
            root.error(f"unrecognized arguments: {' '.join(unknown)}")
        return options
    options.dbt_args, named = take_target(unknown)
    if named is not None:
        if options.target not in (None, named):
            raise UsageError(
                f"two targets asked for: --target {options.target} and dbt's -t {named}"
            )
        options.target = named
    return options


def near_misses(options: argparse.Namespace) -> dict[str, str]:
    """Arguments passed on to dbt that look like a mistyped option of the command's own and
    that dbt build does not take either, each with the option meant: `weblogs run --landng
    DIR` sent --landng to dbt and looked for the default landing folder."""
    import difflib

    if options.command not in PASSES_TO_DBT:
        return {}
    subparsers = next(
        action for action in parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    own = [
        name
        for action in subparsers.choices[options.command]._actions
        for name in action.option_strings
        if name.startswith("--") and action.help != argparse.SUPPRESS
    ]
    found = {}
    for arg in options.dbt_args:
        name = arg.split("=", 1)[0]
        if name.startswith("--") and name not in own:
            meant = difflib.get_close_matches(name, own, n=1, cutoff=0.8)
            if meant:
                found[name] = meant[0]
    if not found:
        return {}
    from weblogs.cli.dbt_child import dbt_refusal

    # An option of dbt build's own is dbt's, however close to one of ours.
    return {name: meant for name, meant in found.items() if dbt_refusal("build", [name])}


def run_command(argv: list[str] | None) -> int:
    options = parse_arguments(argv)
    misses = near_misses(options)
    if misses:
        typed, meant = next(iter(misses.items()))
        raise UsageError(
            f"weblogs {options.command} has no option {typed}: did you mean {meant}? "
            f"(dbt build does not take {typed} either)"
        )
    options.warehouse = options.warehouse or layout.warehouse_path()
    warehouse = options.warehouse
    if options.command not in WAREHOUSE_FREE and warehouse.exists() and not warehouse.is_dir():
        raise UsageError(f"the warehouse {warehouse} is a file, not a folder")
    options.target = resolve_target(options.target)
    return options.run(options)


def main(argv: list[str] | None = None) -> int:
    """Run a command: a user mistake or a Ctrl-C ends in one line on stderr, a closed output
    pipe quietly; never in a traceback. Run from the command line (no `argv`), the process
    then ends without the interpreter's teardown (see `leave`)."""
    code = run_guarded(argv)
    if argv is None:
        leave(code)
    return code


def run_guarded(argv: list[str] | None) -> int:
    try:
        code = run_command(argv)
        sys.stdout.flush()  # a closed pipe shows here, not in Python's exit
        return PIPE_CLOSED if ClosedOutput.closed and code == 0 else code
    except SystemExit as end:  # argparse's --help and usage errors
        if not flushed():
            return PIPE_CLOSED
        # Returned, not raised again: from the command line the process then ends through
        # `leave` as well; the interpreter's teardown aborted `weblogs --help` once.
        if end.code is None or isinstance(end.code, int):
            return end.code or 0
        print(end.code, file=sys.stderr)
        return FAILED
    except BrokenPipeError:
        drop_output()
        return PIPE_CLOSED
    except KeyboardInterrupt:
        print("weblogs: interrupted", file=sys.stderr)
        return INTERRUPTED
    except CommandFailed as error:
        print(f"weblogs: {error}", file=sys.stderr)
        return FAILED
    except (
        IngestError,
        OSError,
        RunLockedError,
        ValueError,
        UsageError,
        spark_server.SparkServerError,
    ) as error:
        print(f"weblogs: {error}", file=sys.stderr)
        return USAGE_ERROR
    except Exception as error:
        # An engine's own failure (pyspark's errors, from Sail or Apache Spark) that no
        # command turned into its message: one line, not a traceback.
        if not type(error).__module__.startswith("pyspark.errors"):
            raise
        print(f"weblogs: the engine failed: {engine_error_line(error)}", file=sys.stderr)
        return FAILED


def engine_error_line(error: BaseException) -> str:
    """What an engine error says, in one line: the `details` of a gRPC failure (its text
    starts with the call object's repr), else its first line."""
    found = re.search(r'details = "([^"]*)"', str(error))
    return found.group(1) if found else first_line(error)


if __name__ == "__main__":
    main()
