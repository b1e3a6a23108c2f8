"""`weblogs build`: dbt build on the chosen target, once the warehouse is free, unless
nothing is new since the last build (weblogs.build.up_to_date); a long backlog in slices
(weblogs.cli.builds); without the unit tests while they passed with the project as it is
(weblogs.build.state)."""

from __future__ import annotations

import argparse
from dataclasses import replace

from weblogs.bronze import empty as raw_layer
from weblogs.build import state as build_state
from weblogs.cli.builds import build_in_slices
from weblogs.cli.dbt import (
    UNIT_TESTS_LEFT_OUT,
    nothing_to_build,
    run_dbt,
    unit_tests_fingerprint,
)
from weblogs.cli.dbt_child import run_dbt_process
from weblogs.cli.options import BuildOptions, Scope
from weblogs.file_lock import hold


def build(options: argparse.Namespace) -> int:
    return build_models(Scope.of(options), BuildOptions.of(options))


def build_models(scope: Scope, options: BuildOptions) -> int:
    with hold(scope.warehouse, "build"):
        # Said first: the likelier mistake is a build before any ingest.
        if scope.target.engine.tables_in_warehouse and raw_layer.nothing_landed(
            scope.warehouse, scope.raw_schema
        ):
            print(raw_layer.NOTHING_LANDED, flush=True)
        if not options.force:
            reason = nothing_to_build(
                scope.warehouse, scope.raw_schema, scope.target, options.dbt_args
            )
            if reason:
                print(reason, flush=True)
                return 0
        fingerprint = unit_tests_fingerprint(scope.warehouse, scope.target, options.dbt_args)
        unit_tested = build_state.unit_tests_passed(scope.warehouse, fingerprint)
        if unit_tested:
            print(UNIT_TESTS_LEFT_OUT, flush=True)
        options = replace(options, skip_unit_tests=unit_tested)
        status = build_in_slices(scope, options, run_dbt, run_dbt_process)
        if status == 0 and fingerprint and not unit_tested:
            # A build of the whole project passed: every unit test ran and passed.
            build_state.record_unit_tests_passed(scope.warehouse, fingerprint)
        return status
