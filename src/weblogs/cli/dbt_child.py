"""dbt in a child process: the builds of `weblogs run` and the slices of a long backlog.

`python -m weblogs.cli.dbt_child --check COMMAND ARGS...` only checks that dbt COMMAND takes
ARGS: it says why not in one line on stderr and exits 2, or exits 0.

`python -m weblogs.cli.dbt_child [--warm-up]` reads one line from stdin, a JSON object with
the dbt arguments and the environment to run them in, runs dbt, and reports errors and
Ctrl-C as the `weblogs` command does (exit 130 on Ctrl-C, silently: the parent says it in
one line). With `--warm-up` it first imports dbt and starts the embedded engine, before its
build is asked for (about 1.4 s of each build). With `--parse-ahead SPEC` it also parses
the project for the build SPEC describes, and the build runs on that parse when its
arguments and environment are the ones parsed for and the project's files have not changed
since (else dbt parses again, and a changed project is said). Stdin closed without a line
ends the child with nothing done.

With `--resident FD` it stays for further builds: after each it writes its exit status and
`stay`, `last` or `leave` as one line to the descriptor FD, and reads the next line. dbt
stays imported, the parse is used again (parsed anew, and said, when the project's files
change), and the engine's session stays open with its catalog: `weblogs run --every/--watch`
keeps one such child for its builds. It leaves after a build that failed or did not
finish, once its memory passes RESIDENT_MAX_MIB ($WEBLOGS_RESIDENT_MAX_MIB), or after
RESIDENT_MAX_BUILDS builds ($WEBLOGS_RESIDENT_MAX_BUILDS), and the run starts another;
beside the child's last build when the child said `last` after the one before."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import json
import os
import pickle
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from weblogs.build import state as build_state
from weblogs.build.order import without_first_paths
from weblogs.build.state import BATCH_CEILING_ENV
from weblogs.build.up_to_date import vars_only
from weblogs.cli.dbt import (
    SKIP_UNIT_TESTS,
    UNIT_TESTS_LEFT_OUT,
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
from weblogs.layout import warehouse_path
from weblogs.targets import Target

WARM_UP = "--warm-up"
PARSE_AHEAD = "--parse-ahead"
RESIDENT = "--resident"
OPEN_SESSION = "--open-session"
CHECK = "--check"
# What may differ between the environment a build was parsed in and the one it runs in,
# read as the build runs, never by the parse: a slice's last batch, the warehouse lock's
# descriptor handed over by the run's cycle.
RUN_TIME_ONLY_ENV = (BATCH_CEILING_ENV, LOCK_FD_ENV)
# A failed build's one-line reason is cut here (dbt's messages can hold a whole query).
MAX_ERROR_CHARACTERS = 400
# A resident child leaves once its resident memory passes this after a build, or after this
# many builds; the run's next build starts another. At 1M stored lines one held 0.55 GiB
# after its first +1% build and grew by 27 to 255 MB a build (the engine's, in native
# memory: dbt's Python objects stayed at the same count from the third build on); after a
# cold build of the 1M lines it held 0.85 to 1.0 GiB.
RESIDENT_MAX_MIB_ENV = "WEBLOGS_RESIDENT_MAX_MIB"
RESIDENT_MAX_MIB = 1024
RESIDENT_MAX_BUILDS_ENV = "WEBLOGS_RESIDENT_MAX_BUILDS"
RESIDENT_MAX_BUILDS = 200
# After each build a child says whether it stays; LAST: for one more build, its last (its
# memory is within one build's growth of the limit), so the run starts the next child while
# that build runs and the next build finds it ready.
STAY, LAST, LEAVE = "stay", "last", "leave"
# A unit test checks a model's SQL on the rows it gives, never on the warehouse's: it can
# fail again only if the project changes, which a resident child sees (it parses again,
# and the builds on the new parse run the unit tests again). The warehouse records it too
# (weblogs.build.state), so a run after a build where they passed leaves them out at once.
UNIT_TESTED = "unit tests passed: the run's next builds leave them out until the project changes"


def start(
    target: Target,
    warehouse: Path,
    build_args: list[str] | None = None,
    status_fd: int | None = None,
    open_session: bool = False,
) -> subprocess.Popen:
    """A child waiting for its build; warming up first on the embedded engine, and parsing
    the project for a build with `build_args` when given (and they are --vars at most: dbt
    parse takes no selection). With `status_fd` (a pipe's writing end) it is resident: it
    reports each build there and waits for the next. With `open_session`, for a build
    expected soon, it also opens the embedded engine's session and restores its catalog
    (its first build catches the catalog up, as a resident child's later builds do)."""
    dbt_environment(warehouse)
    warm = [WARM_UP] if target.engine.embedded else []
    if open_session and target.engine.embedded:
        warm += [OPEN_SESSION]
    if build_args is not None and vars_only(build_args) is not None:
        warm += [PARSE_AHEAD, json.dumps({"target": asdict(target), "dbt_args": build_args})]
    if status_fd is not None:
        warm += [RESIDENT, str(status_fd)]
    return subprocess.Popen(
        [sys.executable, "-m", "weblogs.cli.dbt_child", *warm],
        stdin=subprocess.PIPE,
        text=True,
        # Its own session: a Ctrl-C meant for the run does not abort the build in progress.
        start_new_session=True,
        # The warehouse's lock this process holds: the child's dbt shares the holding
        # instead of waiting for its parent (weblogs.file_lock). A resident child keeps the
        # descriptor between cycles; the run's give-back releases the lock all the same.
        pass_fds=(*handed_over_fds(), *(() if status_fd is None else (status_fd,))),
    )


def order_line(args: list[str]) -> str:
    """A build's order to a child: its dbt arguments and this process's environment (a
    slice's last batch is in it)."""
    return json.dumps({"args": args, "environ": dict(os.environ)}) + "\n"


def build_in(child: subprocess.Popen, args: list[str]) -> int:
    """Give the child its build and wait for its exit status. A further Ctrl-C stops it
    (stop_child)."""
    try:
        child.stdin.write(order_line(args))
        child.stdin.close()
    except BrokenPipeError:
        pass  # it ended before its build was asked for; its exit status says so
    try:
        status = child.wait()
    except KeyboardInterrupt:
        stop_child(child)
        raise
    say_how_it_ended(status)
    return status


def say_how_it_ended(status: int) -> None:
    """One line for an exit the child could not explain itself."""
    if status < 0:
        # Killed (out of memory, a signal from outside): it could say nothing itself.
        print(f"dbt failed: its process was ended by {signal_name(-status)}", flush=True)
    elif status not in (0, 1, 2, 130):
        print(f"dbt failed: its process ended with exit status {status}", flush=True)


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


class ResidentChild:
    """A resident dbt child (`--resident`) and the pipe it reports its builds on."""

    def __init__(
        self,
        target: Target,
        warehouse: Path,
        build_args: list[str] | None,
        open_session: bool = False,
    ) -> None:
        read_end, write_end = os.pipe()
        try:
            self.process = start(
                target, warehouse, build_args, status_fd=write_end, open_session=open_session
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._statuses = os.fdopen(read_end, encoding="utf-8")

    def alive(self) -> bool:
        return self.process.poll() is None

    def build(self, args: list[str]) -> tuple[int, str]:
        """Its next build: the exit status, and whether it stays for another (STAY, LAST:
        for one more; LEAVE: the caller ends it). A further Ctrl-C stops it (stop_child)."""
        try:
            self.process.stdin.write(order_line(args))
            self.process.stdin.flush()
            line = self._statuses.readline()
        except BrokenPipeError:
            line = ""  # it ended before its build was asked for; its exit status says so
        except KeyboardInterrupt:
            stop_child(self.process)
            self._statuses.close()
            raise
        status, _, stays = line.strip().partition(" ")
        if not status:
            # Ended without a report (killed, out of memory): its exit status says how.
            self.end()
            code = self.process.returncode
            say_how_it_ended(code)
            return code, LEAVE
        return int(status), stays if stays in (STAY, LAST) else LEAVE

    def end(self) -> None:
        """End it: stdin closed, it exits once its warm-up or build is over (stop_child if
        it does not within 30 s)."""
        try:
            if self.process.poll() is None:
                try:
                    self.process.stdin.close()
                    self.process.wait(timeout=30)
                except (subprocess.TimeoutExpired, KeyboardInterrupt, BrokenPipeError):
                    stop_child(self.process)
        finally:
            self._statuses.close()


def living(child: ResidentChild | None) -> ResidentChild | None:
    """`child` while it runs; one that has ended (killed, out of memory) is let go: None."""
    if child is not None and not child.alive():
        child.end()
        return None
    return child


class ResidentBuilds:
    """The builds of a long-running `weblogs run`, in one resident dbt child (started ahead
    of the first build, so it has imported dbt, started the engine and parsed the project
    by then) for as long as it stays. The next child is started once the child says its
    next build is its last (LAST: it is started beside that build and ready by the build
    after), else once it leaves. Call it as run_dbt_process; close() ends the children (a
    child waits idle, holding about 0.24 GiB before its first build and 0.5 to 1 GiB
    after)."""

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
        # The dbt arguments of the run's builds, for the child to parse the project ahead.
        self.build_args = build_args
        # A bad $WEBLOGS_RESIDENT_MAX_MIB or _MAX_BUILDS is refused before anything is done.
        resident_max_mib()
        resident_max_builds()
        self._child: ResidentChild | None = None
        # Started when the child said LAST: it builds once the child has left.
        self._next: ResidentChild | None = None

    def start(self) -> None:
        if self._child is None and self.wanted():
            self._child = self._take_child(self.target, self.warehouse)

    def _take_child(self, target: Target, warehouse: Path) -> ResidentChild:
        """The child for the next build, taken from this object: the current one, else the
        one started beside its last build, else a new one; one that has ended is let go."""
        child, self._child = living(self._child), None
        if child is None:
            child, self._next = living(self._next), None
        return child or ResidentChild(target, warehouse, self.build_args)

    def __call__(self, command: str, args: list[str], warehouse: Path, target: Target) -> int:
        target.check_ready(warehouse)
        child = self._take_child(target, warehouse)
        status, stays = child.build(dbt_argv(command, args, target))
        if stays != LEAVE and self.wanted():
            self._child = child
            if stays == LAST and self._next is None:
                # Its first build is the one after this child's next, so it opens its session
                # now (one the engine removed while a slow trigger waited is opened again
                # by the build, and the catalog is caught up either way).
                self._next = ResidentChild(target, warehouse, self.build_args, open_session=True)
        else:
            child.end()
            self.start()
        return status

    def close(self) -> None:
        children, self._child, self._next = (self._child, self._next), None, None
        for child in children:
            if child is not None:
                child.end()


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
    """The project as parsed ahead of a build: dbt's manifest, and what it was parsed from.
    The manifest is kept pickled and each build gets a copy: dbt writes into the manifest
    it builds on (compiled SQL, the CTEs of ephemeral models injected), and a second build
    on the same objects lost its ephemeral models' CTEs."""

    manifest: bytes  # dbt's Manifest, pickled
    build_argv: list[str]
    environ: dict[str, str]
    fingerprint: str
    cli_vars: dict[str, Any]
    target: Target
    # Set when manifest_for found the project's files changed since the parse.
    outdated: bool = False

    def manifest_for(self, build_argv: list[str]) -> Any:
        """The manifest, if a build with build_argv in this environment is what it was
        parsed for (or the build_first paths of it) and the project is unchanged; else None,
        dbt parses again (saying so if the project changed)."""
        if (
            without_first_paths(build_argv) != self.build_argv
            or _parse_environ(os.environ) != self.environ
        ):
            return None
        if project_fingerprint(self.target, self.cli_vars) != self.fingerprint:
            print("the project changed while its build waited: dbt parses it again", flush=True)
            self.outdated = True
            return None
        return pickle.loads(self.manifest)


class ManifestPickler(pickle.Pickler):
    """Pickles dbt's Manifest by its fields of data, rebuilt through its constructor with
    fresh lookups, caches and lock. Its own __reduce_ex__ (dbt-core 1.11) lists its fields
    by position and leaves out `fixtures`, so each field after it took the value of the one
    before: a build on such a copy failed ("RefableLookup.find() missing 1 required
    positional argument: 'manifest'")."""

    def reducer_override(self, obj: Any) -> Any:
        from dbt.contracts.graph.manifest import Manifest

        if type(obj) is not Manifest:
            return NotImplemented
        data = {
            field.name: getattr(obj, field.name)
            for field in dataclasses.fields(obj)
            if not field.name.startswith("_")
        }
        return _manifest_of, (data,)


def _manifest_of(data: dict[str, Any]) -> Any:
    from dbt.contracts.graph.manifest import Manifest

    return Manifest(**data)


def pickled(manifest: Any) -> bytes:
    buffer = io.BytesIO()
    ManifestPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(manifest)
    return buffer.getvalue()


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
        manifest=pickled(result.result),
        build_argv=dbt_argv("build", dbt_args, target),
        environ=_parse_environ(inherited),
        fingerprint=before,
        cli_vars=cli_vars,
        target=target,
    )


def build(order: dict[str, Any], manifest: Any) -> int:
    """The build an order asks for, in the environment it names: 0, or 1 with its first
    error said in one line."""
    return outcome(order["args"], call_dbt(order["args"], manifest=manifest))


def outcome(args: list[str], result: Any) -> int:  # dbt's dbtRunnerResult
    if result.success:
        return 0
    print(f"dbt {args[0]} failed: {first_error(result)}", flush=True)
    return 1


def ran_unit_tests(result: Any, manifest: Any) -> bool:  # dbt's dbtRunnerResult
    """Whether the build ran every unit test of the manifest (a build of the build_first
    paths runs only theirs)."""
    ran = {
        node_result.node.unique_id
        for node_result in getattr(result.result, "results", ())
        if str(node_result.node.resource_type) == "unit_test"
    }
    return bool(ran) and ran >= set(manifest.unit_tests)


def reported(step: Callable[[], int]) -> int:
    """The exit status of `step`, and of whatever ended it before dbt could report it, said
    as the `weblogs` command says it (130 for a Ctrl-C, silently: the parent says it)."""
    try:
        return step()
    except KeyboardInterrupt:
        return 130
    except UsageError as error:
        print(f"weblogs: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        print(f"dbt failed: {type(error).__name__}: {first_line(error)}", flush=True)
        return 1


def take_order(line: str) -> dict[str, Any]:
    order = json.loads(line)
    os.environ.clear()
    os.environ.update(order["environ"])
    return order


def resident_max_mib() -> int:
    """The resident memory past which a resident child leaves after its build: MiB from
    $WEBLOGS_RESIDENT_MAX_MIB, else RESIDENT_MAX_MIB; UsageError for anything but a
    positive whole number."""
    return positive_setting(RESIDENT_MAX_MIB_ENV, RESIDENT_MAX_MIB, " of MiB")


def resident_max_builds() -> int:
    """How many builds a resident child runs at most: $WEBLOGS_RESIDENT_MAX_BUILDS, else
    RESIDENT_MAX_BUILDS; UsageError for anything but a positive whole number."""
    return positive_setting(RESIDENT_MAX_BUILDS_ENV, RESIDENT_MAX_BUILDS, "")


def positive_setting(name: str, default: int, unit: str) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) == 0:
        raise UsageError(f"${name} must be a whole number{unit}, not {text!r}")
    return int(text)


def resident_mib() -> float:
    """This process's resident memory now (its peak where /proc is missing), in MiB."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def verdict(
    status: int,
    builds: int,
    mib: float,
    growth: float,
    limits: tuple[int, int],
    said_last: bool,
) -> str:
    """Whether a resident child stays after its build number `builds`, which ended with
    `status` and left it holding `mib` MiB, a build having added at most `growth`, under
    `limits` (MiB, builds): LEAVE after a failed build, the last one it said, its last by
    count, or past the MiB; LAST when one more build like the biggest so far would take it
    past the MiB, or is its last by count; else STAY."""
    max_mib, max_builds = limits
    if status != 0 or said_last or builds >= max_builds or mib >= max_mib:
        return LEAVE
    if mib + growth >= max_mib or builds + 1 >= max_builds:
        return LAST
    return STAY


class Resident:
    """The builds of a resident child, one per line of stdin until it closes, each
    reported on a descriptor as its exit status and whether this child stays for another."""

    def __init__(
        self, spec: dict[str, Any] | None, parsed: Parsed | None, inherited: dict[str, str]
    ) -> None:
        self.spec = spec
        self.parsed = parsed
        # The environment the child was started with, before its warm-up added to it.
        self.inherited = inherited
        self.target = Target(**spec["target"]) if spec else None
        self.builds = 0
        # Resident memory after the last build (MiB), the most one build added to it, and
        # whether this child said its next build is its last.
        self.mib: float | None = None
        self.growth = 0.0
        self.last = False
        # The parse whose unit tests passed in a build of this child: the builds on it
        # leave them out (UNIT_TESTED).
        self.unit_tested: Parsed | None = None

    def build(self, order: dict[str, Any]) -> int:
        if self.target is None or self.target.engine.embedded:
            # The engine's session of the last build, or the one opened ahead of the first
            # (OPEN_SESSION), if it is still there.
            engine.resume_shared_session(warehouse_path())
        elif self.builds:
            from dbt.adapters.spark_connect.connections import forget_lost_sessions

            forget_lost_sessions()
        parsed = self.parsed
        manifest = parsed.manifest_for(order["args"]) if parsed else None
        if self.spec is not None and (parsed is None or parsed.outdated):
            # Parsed anew for this build and the ones after it.
            self.parsed = parsed = parse_ahead(self.spec, self.inherited)
            manifest = parsed.manifest_for(order["args"]) if parsed else None
        args = order["args"]
        recorded = self._recorded_fingerprint(parsed)
        if (
            manifest is not None
            and parsed is not self.unit_tested
            and build_state.unit_tests_passed(warehouse_path(), recorded)
        ):
            # They passed with this project in an earlier build on the warehouse.
            self.unit_tested = parsed
            print(UNIT_TESTS_LEFT_OUT, flush=True)
        unit_tested = manifest is not None and parsed is self.unit_tested
        if unit_tested:
            args = [*args, *SKIP_UNIT_TESTS]
        result = call_dbt(args, manifest=manifest)
        status = outcome(args, result)
        if (
            status == 0
            and manifest is not None
            and not unit_tested
            and ran_unit_tests(result, manifest)
        ):
            self.unit_tested = parsed
            print(UNIT_TESTED, flush=True)
            build_state.record_unit_tests_passed(warehouse_path(), recorded)
        return status

    def _recorded_fingerprint(self, parsed: Parsed | None) -> str:
        """The parse's fingerprint for the warehouse's unit tested record ('' where it keeps
        none, or for a full check, which runs them)."""
        if parsed is None or not parsed.target.engine.records_build_state:
            return ""
        return "" if parsed.cli_vars.get("full_check") else parsed.fingerprint

    def stays(self, status: int) -> str:
        """After a build: STAY, LAST or LEAVE (see verdict)."""
        mib = resident_mib()
        if self.mib is not None:
            self.growth = max(self.growth, mib - self.mib)
        self.mib = mib
        # The limits were refused by the run before this child started, if not whole numbers.
        limits = (resident_max_mib(), resident_max_builds())
        said = verdict(status, self.builds, mib, self.growth, limits, self.last)
        self.last = said == LAST
        return said

    def serve(self, status_fd: int) -> int:
        with os.fdopen(status_fd, "w", encoding="utf-8") as statuses:
            while line := sys.stdin.readline():
                order = take_order(line)
                status = reported(lambda order=order: self.build(order))
                self.builds += 1
                stays = self.stays(status)
                with contextlib.suppress(OSError):  # the run stopped reading: it ends us
                    statuses.write(f"{status} {stays}\n")
                    statuses.flush()
                if stays == LEAVE:
                    return status
        return 0


def main(argv: list[str]) -> int:
    if argv[:1] == [CHECK]:

        def check() -> int:
            refusal = dbt_refusal(argv[1], argv[2:])
            if refusal:
                raise UsageError(refusal)
            return 0

        return reported(check)
    spec, parsed, inherited = None, None, dict(os.environ)
    # The build does each step again, and reports what fails there.
    if WARM_UP in argv:
        with contextlib.suppress(Exception):
            warm_up()
    if PARSE_AHEAD in argv:
        with contextlib.suppress(Exception):
            spec = json.loads(argv[argv.index(PARSE_AHEAD) + 1])
            parsed = parse_ahead(spec, inherited)
    if OPEN_SESSION in argv:
        with contextlib.suppress(Exception):
            engine.spark_session(warehouse_path())
    if RESIDENT in argv:
        status_fd = int(argv[argv.index(RESIDENT) + 1])
        return reported(lambda: Resident(spec, parsed, inherited).serve(status_fd))

    def build_once() -> int:
        line = sys.stdin.readline()
        if not line:
            return 0
        order = take_order(line)
        return build(order, parsed.manifest_for(order["args"]) if parsed else None)

    return reported(build_once)


if __name__ == "__main__":
    # Without the interpreter's teardown, as the `weblogs` command ends (cli.process.leave).
    leave(main(sys.argv[1:]))
