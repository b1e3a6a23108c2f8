"""`weblogs run`: ingest what is new in the landing folder, then build, under a trigger."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from weblogs.build.order import FIRST_PATHS
from weblogs.build.up_to_date import vars_only
from weblogs.cli.builds import build_in_slices, builds_in_slices
from weblogs.cli.dbt import nothing_to_build
from weblogs.cli.dbt_child import ResidentBuilds, check_arguments, run_dbt_process
from weblogs.cli.options import RunOptions, Scope
from weblogs.compaction import compact_warehouse
from weblogs.errors import UsageError
from weblogs.file_lock import hold_between_cycles
from weblogs.runner import REST_WITHIN_SECONDS, Runner, StopFlag

# For tests only, never a setting: set to a file's path, each cycle of `weblogs run` keeps
# the warehouse's writer lock after its build until that file exists (or the run is told to
# stop), so that a test can start another writer while the lock is surely held, and let the
# cycle go when that writer is seen waiting (tests/python/test_warehouse_lock.py).
TEST_ONLY_RELEASE_ENV = "WEBLOGS_TEST_ONLY_CYCLE_HOLDS_LOCK_UNTIL_FILE"


def run(options: argparse.Namespace) -> int:
    return run_landing(Scope.of(options), RunOptions.of(options), "run")


def run_landing(scope: Scope, options: RunOptions, command: str) -> int:
    """Ingest what is new in the landing folder, then build, under the chosen trigger;
    `command` names who holds the warehouse meanwhile (`weblogs run`, `weblogs demo`)."""
    target = scope.target
    build_options = options.build
    trigger = options.trigger
    if build_options.dbt_args:
        # A mistyped flag (`--evry 1s`) is dbt's to refuse, but dbt sees it only once a batch
        # has landed, or never when nothing has; said before any other complaint.
        check_arguments("build", build_options.dbt_args, scope.warehouse, target)
    if trigger.rest_within is not None and not trigger.watch:
        raise UsageError("--rest-within is for --watch: other triggers build the whole project")
    if not options.landing.is_dir():
        raise UsageError(f"no such landing folder: {options.landing}")
    if options.compact_every:
        target.require(
            "tables_in_warehouse",
            "run --compact-every",
            what="on the embedded engine's Delta tables",
        )

    stop = StopFlag()
    # A run that goes on builds in a resident dbt child, started ahead of its first build; a
    # single cycle starts a child for its build when it is needed.
    resident = ResidentBuilds(scope.warehouse, target, lambda: not stop(), build_options.dbt_args)
    call = resident if trigger.goes_on else run_dbt_process

    def build() -> bool:
        return build_in_slices(scope, build_options, call, call) == 0

    def build_first(landed: tuple[int, ...]) -> bool | None:
        # A backlog in slices is built whole, slice by slice, for the memory it bounds. The
        # paths hold every batch before the cycle's, so one batch is never sliced: asking
        # read the ledger (0.1 s a cycle) while the rest lagged behind.
        if len(landed) > 1 and builds_in_slices(scope, build_options):
            return None
        first = [*build_options.dbt_args, *FIRST_PATHS]
        return call("build", first, scope.warehouse, target) == 0

    def nothing_new() -> str | None:
        if build_options.force:
            return None
        return nothing_to_build(scope.warehouse, scope.raw_schema, target, build_options.dbt_args)

    def compact() -> None:
        for table in compact_warehouse(scope.warehouse, retain_hours=options.retain_hours):
            print(f"compacted {table.summary()}")

    runner = Runner(
        landing=options.landing,
        warehouse=scope.warehouse,
        raw_schema=scope.raw_schema,
        build=build,
        limits=options.limits,
        compact_every=options.compact_every,
        compact=compact,
        stop=stop,
        bronze=target.bronze(scope.warehouse, scope.raw_schema),
        build_records_state=target.engine.records_build_state,
        nothing_new=nothing_new,
        # Under --watch, unless dbt is given more than --vars (a selection of its own).
        build_first=build_first
        if trigger.watch and vars_only(build_options.dbt_args) is not None
        else None,
        rest_within=trigger.rest_within or REST_WITHIN_SECONDS,
    )
    # One run per warehouse for as long as it runs; the writer lock only during its cycles.
    holding = hold_between_cycles(scope.warehouse, command, wait=options.wait)
    with holding as hold_cycle, stop.installed():
        runner.hold = released_on_file(hold_cycle, stop)
        try:
            if trigger.every_seconds is not None:
                resident.start()
                report = runner.run_every(trigger.every_seconds, trigger.max_cycles)
            elif trigger.watch:
                resident.start()
                report = runner.run_watch(max_cycles=trigger.max_cycles)
            else:
                report = runner.run_once()
        finally:
            resident.close()
    print(
        f"run: {report.cycles} cycle(s), {len(report.batches)} batch(es), "
        f"{report.lines:,} lines, {report.builds} build(s)"
        + (f", {report.failed_builds} failed" if report.failed_builds else "")
    )
    return 1 if report.failed_builds else 0


def released_on_file(
    hold_cycle: Callable[[], AbstractContextManager[None]], stop: StopFlag
) -> Callable[[], AbstractContextManager[None]]:
    """A cycle's hold, kept past its end until the file named in $TEST_ONLY_RELEASE_ENV
    exists, when set (tests only)."""
    release = os.environ.get(TEST_ONLY_RELEASE_ENV, "")
    if not release:
        return hold_cycle

    @contextmanager
    def held() -> Iterator[None]:
        with hold_cycle():
            yield
            print(f"cycle done; holding the warehouse until {release} exists", flush=True)
            while not Path(release).exists() and not stop.event.wait(0.05):
                pass

    return held
