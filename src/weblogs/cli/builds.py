"""dbt build for `weblogs build` and for the build step of `weblogs run`: a long backlog in
slices of batches (weblogs.build.slices), each one dbt invocation."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from weblogs.build import state as build_state
from weblogs.build.slices import lines_by_batch, slice_ceilings
from weblogs.build.up_to_date import vars_only
from weblogs.cli.dbt import SKIP_UNIT_TESTS
from weblogs.cli.options import BuildOptions, Scope
from weblogs.targets import Target

# How dbt is run: (command, arguments, warehouse, target) -> exit status.
DbtCall = Callable[[str, list[str], Path, Target], int]


def build_in_slices(scope: Scope, options: BuildOptions, call: DbtCall, call_slice: DbtCall) -> int:
    """dbt build through `call`; in slices of at most `lines_per_build` lines of bronze when
    the models are behind by more (an engine that slices, no dbt arguments besides --vars: a
    selection or --full-refresh builds in one invocation), each through `call_slice`: a
    child process, whose memory goes back when it ends (in one process, what the engine
    kept between slices of 16M lines grew from 0.75 GiB after the first to 1.9 GiB after
    the fourth)."""
    built_through, batch_lines, ceilings = _slices(scope, options)
    args = [*options.dbt_args, *(SKIP_UNIT_TESTS if options.skip_unit_tests else [])]
    if len(ceilings) <= 1:
        return call("build", args, scope.warehouse, scope.target)
    first = built_through + 1
    for number, ceiling in enumerate(ceilings, 1):
        lines = sum(count for batch, count in batch_lines.items() if first <= batch <= ceiling)
        print(
            f"build {number} of {len(ceilings)}: batches {first} to {ceiling} ({lines:,} lines)",
            flush=True,
        )
        os.environ[build_state.BATCH_CEILING_ENV] = build_state.batch_ceiling_value(ceiling)
        try:
            status = call_slice("build", args, scope.warehouse, scope.target)
        finally:
            os.environ.pop(build_state.BATCH_CEILING_ENV, None)
        if status != 0:
            if number < len(ceilings):
                print(
                    f"build {number} of {len(ceilings)} failed; the models are built through "
                    f"batch {build_state.built_through(scope.warehouse)}",
                    flush=True,
                )
            return status
        first = ceiling + 1
    return 0


def builds_in_slices(scope: Scope, options: BuildOptions) -> bool:
    """Whether build_in_slices would build in more than one invocation."""
    return len(_slices(scope, options)[2]) > 1


def _slices(scope: Scope, options: BuildOptions) -> tuple[int, dict[int, int], list[int]]:
    """The batch the models are built through, the lines of each landed batch, and the last
    batch of each slice (none or one: build in one invocation)."""
    if (
        not scope.target.engine.builds_in_slices
        or not options.lines_per_build
        or vars_only(options.dbt_args) is None
    ):
        return 0, {}, []
    after = build_state.built_through(scope.warehouse)
    # One new batch is one slice whatever its size: the ledger is read (60 to 370 ms at 58
    # batches) only when bronze is further ahead, not before every build of `weblogs run`.
    if scope.target.bronze(scope.warehouse, scope.raw_schema).committed_batch_id() <= after + 1:
        return after, {}, []
    batch_lines = lines_by_batch(scope.warehouse, scope.raw_schema)
    return after, batch_lines, slice_ceilings(batch_lines, after, options.lines_per_build)
