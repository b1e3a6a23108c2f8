"""dbt in a child process: the builds of `weblogs run` and the slices of a long backlog.

`python -m weblogs.cli.dbt_child --check COMMAND ARGS...` only checks that dbt COMMAND takes
ARGS: it says why not in one line on stderr and exits 2, or exits 0.

`python -m weblogs.cli.dbt_child [--warm-up]` reads one line from stdin, a JSON object with
the dbt arguments and the environment to run them in, runs dbt, and reports errors and
Ctrl-C as the `weblogs` command does (exit 130 on Ctrl-C, silently: the parent says it in
one line). With `--warm-up` it first imports dbt and starts the embedded engine, before its
build is asked for: `weblogs run --every/--watch` keeps one such child waiting between
builds, so a build does not wait for that (about 1.4 s of each). With `--parse-ahead SPEC`
it also parses the project for the build SPEC describes, and the build runs on that parse
when its arguments and environment are the ones parsed for and the project's files have
not changed since (else dbt parses again, and a changed project is said). Stdin closed
without a line ends the child with nothing done."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from weblogs.build.state import BATCH_CEILING_ENV
from weblogs.build.up_to_date import vars_only
from weblogs.cli.dbt import (
    call_dbt,
    dbt_environment,
    first_line,
    project_fingerprint,
    stop_child,
    target_arguments,
)
from weblogs.cli.process import leave
from weblogs.embedded import engine
from weblogs.errors import UsageError
from weblogs.file_lock import LOCK_FD_ENV, handed_over_fds
from weblogs.targets import Target

WARM_UP = "--warm-up"
PARSE_AHEAD = "--parse-ahead"
CHECK = "--check"
# What may differ between the environment a build was parsed in and the one it runs in,
# read as the build runs, never by the parse: a slice's last batch, the warehouse lock's
# descriptor handed over by the run's cycle.
RUN_TIME_ONLY_ENV = (BATCH_CEILING_ENV, LOCK_FD_ENV)
# A failed build's one-line reason is cut here (dbt's messages can hold a whole query).
MAX_ERROR_CHARACTERS = 400


def start(target: Target, warehouse: Path, build_args: list[str] | None = None) -> subprocess.Popen:
    """A child waiting for its build; warming up first on the embedded engine, and parsing
    the project for a build with `build_args` when given (and they are --vars at most: dbt
    parse takes no selection)."""
    dbt_environment(warehouse)
    warm = [WARM_UP] if target.engine.embedded else []
    if build_args is not None and vars_only(build_args) is not None:
        warm += [PARSE_AHEAD, json.dumps({"target": asdict(target), "dbt_args": build_args})]
    return subprocess.Popen(
        [sys.executable, "-m", "weblogs.cli.dbt_child", *warm],
        stdin=subprocess.PIPE,
        text=True,
        # Its own session: a Ctrl-C meant for the run does not abort the build in progress.
        start_new_session=True,
        # The warehouse's lock this process holds: the child's dbt shares the holding
        # instead of waiting for its parent (weblogs.file_lock).
        pass_fds=handed_over_fds(),
    )


def build_in(child: subprocess.Popen, args: list[str]) -> int:
    """Give the child its dbt arguments and this process's environment (a slice's last
    batch is in it), and wait for its exit status. A further Ctrl-C stops it (stop_child)."""
    order = json.dumps({"args": args, "environ": dict(os.environ)})
    try:
        child.stdin.write(order + "\n")
        child.stdin.close()
    except BrokenPipeError:
        pass  # it ended before its build was asked for; its exit status says so
    try:
        status = child.wait()
    except KeyboardInterrupt:
        stop_child(child)
        raise
    if status < 0:
        # Killed (out of memory, a signal from outside): it could say nothing itself.
        print(f"dbt failed: its process was ended by {signal_name(-status)}", flush=True)
    elif status not in (0, 1, 2, 130):
        print(f"dbt failed: its process ended with exit status {status}", flush=True)
    return status


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def dbt_argv(command: str, args: list[str], target: Target) -> list[str]:
    """dbt's arguments for `command` on `target`: what a build runs and what is checked."""
    return [command, *args, *target_arguments(target)]


def check_arguments(command: str, args: list[str], warehouse: Path, target: Target) -> None:
    """Refuse (UsageError) arguments dbt `command` would refuse, an unknown option or a bad
    value, before anything is done: `weblogs run` lands its batches before dbt reads them.
    Checked in a child, where dbt is imported (about 1 s) and then let go, with the
    environment and target arguments its build would have (dbt checks that the profiles
    folder exists, and looks for it in the working folder unless told)."""
    dbt_environment(warehouse)
    checked = subprocess.run(
        [sys.executable, "-m", "weblogs.cli.dbt_child", CHECK, *dbt_argv(command, args, target)],
        capture_output=True, text=True,
    )  # fmt: skip
    if checked.returncode == 0:
        return
    lines = checked.stderr.strip().splitlines() or [f"exit status {checked.returncode}"]
    raise UsageError(lines[-1].removeprefix("weblogs: "))


def dbt_refusal(command: str, args: list[str]) -> str | None:
    """Why dbt `command` would refuse `args` as its options, or None if it takes them."""
    import click
    from dbt.cli.main import cli

    try:
        cli.commands[command].make_context(command, list(args))
    except click.ClickException as error:
        return f"dbt: {error.format_message()} (`dbt {command} --help` lists its options)"
    return None


def run_dbt_process(command: str, args: list[str], warehouse: Path, target: Target) -> int:
    """dbt in a new child process: memory is returned after every build (in process it grew
    by about 18 MB per build of a long `weblogs run`, and by far more between the slices of
    a long backlog)."""
    target.check_ready(warehouse)
    return build_in(start(target, warehouse), dbt_argv(command, args, target))


class SpareChild:
    """dbt children for the builds of a long-running `weblogs run`, each started as the one
    before it ends, so it has imported dbt and started the engine by the time it is needed.
    Call it as run_dbt_process; close() ends the spare (it waits idle, holding about
    0.24 GiB)."""

    def __init__(
        self,
        warehouse: Path,
        target: Target,
        wanted: Callable[[], bool],
        build_args: list[str] | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.target = target
        # Whether another build may follow (not once the run is told to stop).
        self.wanted = wanted
        # The dbt arguments of the run's builds, for the spare to parse the project ahead.
        self.build_args = build_args
        self._spare: subprocess.Popen | None = None

    def start(self) -> None:
        if self._spare is None and self.wanted():
            self._spare = start(self.target, self.warehouse, self.build_args)

    def __call__(self, command: str, args: list[str], warehouse: Path, target: Target) -> int:
        target.check_ready(warehouse)
        child, self._spare = self._spare, None
        if child is None or child.poll() is not None:
            child = start(target, warehouse, self.build_args)
        status = build_in(child, dbt_argv(command, args, target))
        self.start()
        return status

    def close(self) -> None:
        child, self._spare = self._spare, None
        self._end(child)

    @staticmethod
    def _end(child: subprocess.Popen | None) -> None:
        """End a spare: stdin closed, it exits once warmed up (stop_child if it does not)."""
        if child is None or child.poll() is not None:
            return
        try:
            child.stdin.close()
            child.wait(timeout=30)
        except (subprocess.TimeoutExpired, KeyboardInterrupt, BrokenPipeError):
            stop_child(child)


def first_error(result) -> str:  # dbt's dbtRunnerResult
    """The first error of a failed dbt invocation in one line: the first node that erred or
    failed, with dbt's message, else the exception that ended it. dbt prints them in its
    summary, several lines each, among a build's hundred; a run of many cycles says this
    one beside its own line on the failed build."""
    from dbt.artifacts.schemas.results import RunStatus, TestStatus

    failed = (RunStatus.Error, TestStatus.Error, TestStatus.Fail)
    for node_result in getattr(result.result, "results", None) or ():
        if node_result.status in failed:
            node = node_result.node
            message = " ".join(str(node_result.message or node_result.status).split())
            return f"{node.resource_type} {node.name}: {message}"[:MAX_ERROR_CHARACTERS]
    if result.exception is not None:
        return first_line(result.exception)[:MAX_ERROR_CHARACTERS]
    return "dbt reported no error (see its output above)"


def warm_up() -> None:
    """What every build on the embedded engine does first: import dbt, the adapter and
    Spark Connect's client, and start the engine. The session is opened when the build
    starts: one opened now could sit idle past the engine's idle limit before the build
    (an hour's wait of `--every 1h`), and its catalog would be restored too early."""
    # Imported here for the build, which imports them again for nothing.
    for module in ("dbt.cli.main", "dbt.adapters.sail_delta.impl", "pyspark.sql.connect.session"):
        importlib.import_module(module)
    engine.server_url()


@dataclass
class Parsed:
    """The project as parsed ahead of a build: dbt's manifest, and what it was parsed from."""

    manifest: Any  # dbt's Manifest
    build_argv: list[str]
    environ: dict[str, str]
    fingerprint: str
    cli_vars: dict[str, Any]
    target: Target

    def manifest_for(self, build_argv: list[str]) -> Any:
        """The manifest, if a build with build_argv in this environment is what it was
        parsed for and the project is unchanged; else None, dbt parses again (saying so if
        the project changed)."""
        if build_argv != self.build_argv or _parse_environ(os.environ) != self.environ:
            return None
        if project_fingerprint(self.target, self.cli_vars) != self.fingerprint:
            print("the project changed while its build waited: dbt parses it again", flush=True)
            return None
        return self.manifest


def _parse_environ(environ: Any) -> dict[str, str]:
    return {key: value for key, value in environ.items() if key not in RUN_TIME_ONLY_ENV}


def parse_ahead(spec: dict[str, Any], inherited: dict[str, str]) -> Parsed | None:
    """Parse the project as the build `spec` describes will, silently (the build reports
    what fails); None if dbt cannot. The fingerprint is taken before the parse, so a change
    during it is one Parsed.manifest_for finds. `inherited` is the environment this process
    was started with, which its build's must match (the warm-up adds the engine's settings
    to it, as the build does again)."""
    from dbt.cli.main import dbtRunner

    target = Target(**spec["target"])
    dbt_args = list(spec["dbt_args"])
    cli_vars = dict(vars_only(dbt_args) or {})
    before = project_fingerprint(target, cli_vars)
    result = dbtRunner().invoke(
        ["parse", "--log-level", "none", *dbt_args, *target_arguments(target)]
    )
    if not result.success:
        return None
    return Parsed(
        manifest=result.result,
        build_argv=dbt_argv("build", dbt_args, target),
        environ=_parse_environ(inherited),
        fingerprint=before,
        cli_vars=cli_vars,
        target=target,
    )


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == [CHECK]:
            refusal = dbt_refusal(argv[1], argv[2:])
            if refusal:
                raise UsageError(refusal)
            return 0
        parsed, inherited = None, dict(os.environ)
        # The build does each step again, and reports what fails there.
        if WARM_UP in argv:
            with contextlib.suppress(Exception):
                warm_up()
        if PARSE_AHEAD in argv:
            with contextlib.suppress(Exception):
                spec = json.loads(argv[argv.index(PARSE_AHEAD) + 1])
                parsed = parse_ahead(spec, inherited)
        line = sys.stdin.readline()
        if not line:
            return 0
        order = json.loads(line)
        os.environ.clear()
        os.environ.update(order["environ"])
        manifest = parsed.manifest_for(order["args"]) if parsed else None
        result = call_dbt(order["args"], manifest=manifest)
        if result.success:
            return 0
        print(f"dbt {order['args'][0]} failed: {first_error(result)}", flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except UsageError as error:
        print(f"weblogs: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        # Whatever ended the build before dbt could report it, in one line.
        print(f"dbt failed: {type(error).__name__}: {first_line(error)}", flush=True)
        return 1


if __name__ == "__main__":
    # Without the interpreter's teardown, as the `weblogs` command ends (cli.process.leave).
    leave(main(sys.argv[1:]))
