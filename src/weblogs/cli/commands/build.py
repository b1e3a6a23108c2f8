"""`weblogs build`: dbt build on the chosen target, once the warehouse is free, unless
nothing is new since the last build (weblogs.up_to_date); a long backlog in slices
(weblogs.build_slices)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from weblogs import build_state, raw_layer
from weblogs.build_slices import lines_by_batch, slice_ceilings
from weblogs.cli.dbt import nothing_to_build, run_dbt
from weblogs.cli.dbt_child import run_dbt_process
from weblogs.cli.targets import Target
from weblogs.cli.warehouse import hold
from weblogs.up_to_date import vars_only

# How dbt is run: (command, arguments, warehouse, target) -> exit status.
DbtCall = Callable[[str, list[str], Path, Target], int]


def build(options: argparse.Namespace) -> int:
    embedded = options.target.type == "sail_delta"
    with hold(options.warehouse, "build"):
        # Said first: the likelier mistake is a build before any ingest.
        if embedded and raw_layer.nothing_landed(options.warehouse, options.raw_schema):
            print(raw_layer.NOTHING_LANDED, flush=True)
        if not options.force:
            reason = nothing_to_build(
                options.warehouse, options.raw_schema, options.target, options.dbt_args
            )
            if reason:
                print(reason, flush=True)
                return 0
        return build_in_slices(options, run_dbt, run_dbt_process)


def build_in_slices(options: argparse.Namespace, call: DbtCall, call_slice: DbtCall) -> int:
    """dbt build through `call`; in slices of at most --lines-per-build lines of bronze when
    the models are behind by more (embedded engine, no dbt arguments besides --vars: a
    selection or --full-refresh builds in one invocation), each through `call_slice`: a
    child process, whose memory goes back when it ends (in one process, what the engine
    kept between slices of 16M lines grew from 0.75 GiB after the first to 1.9 GiB after
    the fourth)."""
    built_through, batch_lines, ceilings = _slices(options)
    if len(ceilings) <= 1:
        return call("build", options.dbt_args, options.warehouse, options.target)
    first = built_through + 1
    for number, ceiling in enumerate(ceilings, 1):
        lines = sum(count for batch, count in batch_lines.items() if first <= batch <= ceiling)
        print(
            f"build {number} of {len(ceilings)}: batches {first} to {ceiling} ({lines:,} lines)",
            flush=True,
        )
        os.environ[build_state.BATCH_CEILING_ENV] = str(ceiling)
        try:
            status = call_slice("build", options.dbt_args, options.warehouse, options.target)
        finally:
            os.environ.pop(build_state.BATCH_CEILING_ENV, None)
        if status != 0:
            if number < len(ceilings):
                print(
                    f"build {number} of {len(ceilings)} failed; the models are built through "
                    f"batch {build_state.built_through(options.warehouse)}",
                    flush=True,
                )
            return status
        first = ceiling + 1
    return 0


def _slices(options: argparse.Namespace) -> tuple[int, dict[int, int], list[int]]:
    """The batch the models are built through, the lines of each landed batch, and the last
    batch of each slice (none or one: build in one invocation)."""
    from weblogs.ingest.delta import DeltaBronze

    lines_per_build = options.lines_per_build
    if (
        options.target.type != "sail_delta"
        or not lines_per_build
        or vars_only(options.dbt_args) is None
    ):
        return 0, {}, []
    after = build_state.built_through(options.warehouse)
    # One new batch is one slice whatever its size: the ledger is read (60 to 370 ms at 58
    # batches) only when bronze is further ahead, not before every build of `weblogs run`.
    if DeltaBronze(options.warehouse, options.raw_schema).committed_batch_id() <= after + 1:
        return after, {}, []
    batch_lines = lines_by_batch(options.warehouse, options.raw_schema)
    return after, batch_lines, slice_ceilings(batch_lines, after, lines_per_build)
