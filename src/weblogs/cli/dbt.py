"""Running dbt for a command: in this process, or as a child process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from weblogs import layout
from weblogs.build import order
from weblogs.cli.process import drop_output
from weblogs.errors import CommandFailed, UsageError
from weblogs.spark import server as spark_server
from weblogs.targets import PROJECT_DIR, Target

# How long a dbt child may take to cancel its queries and exit after a second Ctrl-C.
CHILD_STOP_SECONDS = 30.0
# dbt's console output goes through this Python logger.
DBT_CONSOLE_LOGGER = "stdout_log"
DBT_USE_COLORS_ENV = "DBT_USE_COLORS"


def take_target(args: list[str]) -> tuple[list[str], str | None]:
    """dbt's own -t/--target among the arguments passed on to dbt: taken out and returned as
    the target. weblogs names the target to dbt itself, and dbt would take the last of two."""
    rest: list[str] = []
    named: list[str] = []
    items = iter(args)
    for arg in items:
        if arg in ("-t", "--target"):
            value = next(items, None)
            if value is None:
                raise UsageError(f"dbt's {arg} needs a target name")
            named.append(value)
        elif arg.startswith("--target="):
            named.append(arg.removeprefix("--target="))
        elif arg.startswith("-t") and not arg.startswith("--"):
            named.append(arg.removeprefix("-t"))
        else:
            rest.append(arg)
    if len(set(named)) > 1:
        raise UsageError(f"two targets asked for: {', '.join(named)}")
    return rest, (named[0] if named else None)


def dbt_environment(warehouse: Path) -> None:
    """Point dbt at this project's profiles and the chosen warehouse (and at the Spark
    Connect server started for it, unless $WEBLOGS_SPARK_HOST/PORT say otherwise); no
    colours when the output is not a terminal."""
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    os.environ.setdefault("DBT_PROJECT_DIR", str(PROJECT_DIR))
    os.environ[layout.WAREHOUSE_ENV] = str(warehouse)
    if not sys.stdout.isatty():
        # dbt colours its lines whatever they go to: in a file or a pipe they were escape
        # codes. A user's own $DBT_USE_COLORS wins.
        os.environ.setdefault(DBT_USE_COLORS_ENV, "false")
    host, port = spark_server.configured_address(warehouse)
    os.environ.setdefault(spark_server.HOST_ENV, host)
    os.environ.setdefault(spark_server.PORT_ENV, str(port))


# dbt build without the unit tests: the warehouse records that they passed with the project
# as it is (weblogs.build.state, "unit tested").
SKIP_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]
UNIT_TESTS_LEFT_OUT = (
    "unit tests passed with this project before: left out until it changes "
    "(`--vars '{full_check: true}'` runs them)"
)


def unit_tests_fingerprint(warehouse: Path, target: Target, dbt_args: list[str]) -> str:
    """The project's fingerprint for the build state's unit tested record, when a build
    with `dbt_args` runs every unit test of the project: --vars at most, and no full check
    (which runs them whatever the record says); '' otherwise, and on an engine that keeps
    no build state."""
    from weblogs.build.up_to_date import vars_only

    cli_vars = vars_only(dbt_args)
    if not target.engine.records_build_state or cli_vars is None or cli_vars.get("full_check"):
        return ""
    dbt_environment(warehouse)
    return project_fingerprint(target, cli_vars)


def nothing_to_build(warehouse: Path, raw_schema: str, target: Target, dbt_args: list[str]):
    """One line saying that a build would have nothing to do (weblogs.build.up_to_date), or
    None: always None on an engine where weblogs cannot tell, and with dbt arguments besides
    --vars."""
    from weblogs.build import up_to_date

    cli_vars = up_to_date.vars_only(dbt_args)
    if not target.engine.knows_when_up_to_date or cli_vars is None:
        return None
    dbt_environment(warehouse)
    current = project_fingerprint(target, cli_vars)
    committed = target.bronze(warehouse, raw_schema).committed_batch_id()
    tables = target.tables(warehouse, "build")
    return up_to_date.nothing_new(warehouse, committed, current, tables.version)


def project_fingerprint(target: Target, cli_vars: Mapping[str, Any]) -> str:
    """The fingerprint (weblogs.build.fingerprint) of the project dbt would build now on
    `target` with these --vars, from the folders of the environment (dbt_environment)."""
    from weblogs.build import fingerprint
    from weblogs.targets import PROFILE, profiles_path

    return fingerprint.project_fingerprint(
        Path(os.environ["DBT_PROJECT_DIR"]),
        target.name,
        fingerprint.profile_output(profiles_path(), PROFILE, target.name),
        cli_vars,
        target.engine.dbt_includes,
    )


class QuietInterrupt(logging.Filter):
    """Keeps dbt's console free of the stack trace it prints for a Ctrl-C, and of the empty
    "Encountered an error:" before it; dbt's log file keeps both."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg).rstrip()
        if "Traceback (most recent call last)" in text:
            return not text.endswith("KeyboardInterrupt")
        return not text.endswith("Encountered an error:")


class ClosedOutput(logging.Filter):
    """`weblogs build | head`: once the reader is gone, each of dbt's console lines printed a
    "--- Logging error ---" traceback (6,498 lines of them for one build). dbt makes its
    console handlers anew in every invocation, so they are fitted here, before each line:
    a closed pipe sends the rest of the output to /dev/null and the build goes on; the
    command then ends as for a closed pipe (`closed`)."""

    closed = False

    def filter(self, record: logging.LogRecord) -> bool:
        for handler in logging.getLogger(DBT_CONSOLE_LOGGER).handlers:
            if not getattr(handler, "weblogs_fitted", False):
                handler.handleError = self._handle_error(handler.handleError)
                handler.weblogs_fitted = True
        return True

    @staticmethod
    def _handle_error(default):
        def handle_error(record: logging.LogRecord) -> None:
            if not isinstance(sys.exc_info()[1], BrokenPipeError):
                default(record)
                return
            drop_output()
            ClosedOutput.closed = True

        return handle_error


def call_dbt(args: list[str], manifest=None):  # dbt's Manifest, dbtRunnerResult
    """dbt in this process; on `manifest` when given, instead of parsing the project. An
    error dbt did not report itself (the in-process runner returns a usage error unprinted)
    is raised or printed here; a Ctrl-C it caught is raised again."""
    from dbt.cli.exceptions import DbtUsageException
    from dbt.cli.main import dbtRunner

    console = logging.getLogger(DBT_CONSOLE_LOGGER)
    if not any(isinstance(known, QuietInterrupt) for known in console.filters):
        console.addFilter(QuietInterrupt())
        console.addFilter(ClosedOutput())
    order.install()
    reported: list[str] = []

    def note_reported(event) -> None:  # a dbt EventMsg
        if event.info.name == "MainEncounteredError":
            reported.append(event.info.name)

    result = dbtRunner(manifest=manifest, callbacks=[note_reported]).invoke(args)
    error = result.exception
    if isinstance(error, KeyboardInterrupt):
        raise KeyboardInterrupt
    if isinstance(error, DbtUsageException):
        raise UsageError(f"dbt: {error} (`dbt {args[0]} --help` lists its options)")
    if error is not None and not reported:
        print(f"weblogs: dbt: {first_line(error)}", file=sys.stderr)
    return result


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


def target_arguments(target: Target) -> list[str]:
    """dbt's --target, left out for the profile's default target when $DBT_TARGET does not
    name another: dbt re-parses the whole project when the target argument differs from its
    last run's, so `weblogs build` naming it and a plain `dbt build` not naming it re-parsed
    each other's (about 5 s of an 18 s build of the demo warehouse)."""
    if target.is_default and os.environ.get("DBT_TARGET", target.name) in ("", target.name):
        return []
    return ["--target", target.name]


def invoke_dbt(command: str, args: list[str], warehouse: Path, target: Target):
    """dbt in this process, so it shares the embedded engine with the caller."""
    target.check_ready(warehouse)
    dbt_environment(warehouse)
    return call_dbt([command, *args, *target_arguments(target)])


def run_dbt(command: str, args: list[str], warehouse: Path, target: Target) -> int:
    return 0 if invoke_dbt(command, args, warehouse, target).success else 1


def stop_child(child: subprocess.Popen) -> None:
    """Stop a dbt child now (a second Ctrl-C of `weblogs run`): interrupt it as a terminal
    would, so it cancels its queries and removes its multiprocessing locks on the way out.
    Killed outright, it left them behind and its resource tracker warned of "leaked
    semaphore objects". Killed only if it does not exit in time, or on a further Ctrl-C."""
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=CHILD_STOP_SECONDS)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def compiled_analyses(names: tuple[str, ...], warehouse: Path, target: Target) -> dict[str, str]:
    """SQL of dbt analyses, compiled for the current target."""
    result = invoke_dbt("compile", ["--log-level", "none", "--select", *names], warehouse, target)
    if not result.success:
        reason = f": {first_line(result.exception)}" if result.exception else ""
        raise CommandFailed(f"dbt compile of {', '.join(names)} failed{reason}")
    return {run.node.name: run.node.compiled_code for run in result.result.results}
