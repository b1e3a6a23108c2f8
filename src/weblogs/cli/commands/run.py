"""`weblogs run`: ingest what is new in the landing folder, then build, under a trigger."""

from __future__ import annotations

import argparse
from pathlib import Path

from weblogs.cli.bronze import bronze_of, limits
from weblogs.cli.commands.build import build_in_slices
from weblogs.cli.dbt import nothing_to_build
from weblogs.cli.dbt_child import SpareChild, check_arguments, run_dbt_process
from weblogs.cli.errors import UsageError
from weblogs.cli.targets import require_embedded
from weblogs.cli.warehouse import hold
from weblogs.compaction import compact_warehouse
from weblogs.runner import Runner, StopFlag


def run(options: argparse.Namespace) -> int:
    """Ingest what is new in the landing folder, then build, under the chosen trigger."""
    landing = Path(options.landing).expanduser().resolve()
    if not landing.is_dir():
        raise UsageError(f"no such landing folder: {landing}")
    target = options.target
    if options.compact_every:
        require_embedded(target, "run --compact-every")
    if options.dbt_args:
        # A mistyped flag (`--evry 1s`) is dbt's to refuse, but dbt sees it only once a batch
        # has landed, or never when nothing has.
        check_arguments("build", options.dbt_args, options.warehouse, target)

    stop = StopFlag()
    # A run that goes on keeps a dbt child started ahead for its next build; a single cycle
    # starts each when it is needed.
    spare = SpareChild(options.warehouse, target, wanted=lambda: not stop())
    call = spare if options.every or options.watch else run_dbt_process

    def build() -> bool:
        return build_in_slices(options, call, call) == 0

    def nothing_new() -> str | None:
        if options.force:
            return None
        return nothing_to_build(options.warehouse, options.raw_schema, target, options.dbt_args)

    def compact() -> None:
        for table in compact_warehouse(options.warehouse, retain_hours=options.retain_hours):
            print(f"compacted {table.summary()}")

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
        build_records_state=target.type in ("sail_delta", "spark_connect"),
        nothing_new=nothing_new,
    )
    with hold(options.warehouse, options.command, wait=options.wait), stop.installed():
        try:
            if options.every:
                spare.start()
                report = runner.run_every(options.every, options.max_cycles)
            elif options.watch:
                spare.start()
                report = runner.run_watch(max_cycles=options.max_cycles)
            else:
                report = runner.run_once()
        finally:
            spare.close()
    print(
        f"run: {report.cycles} cycle(s), {len(report.batches)} batch(es), "
        f"{report.lines:,} lines, {report.builds} build(s)"
        + (f", {report.failed_builds} failed" if report.failed_builds else "")
    )
    return 1 if report.failed_builds else 0
