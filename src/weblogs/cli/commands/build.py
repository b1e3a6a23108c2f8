"""`weblogs build`: dbt build on the chosen target, once the warehouse is free, unless
nothing is new since the last build (weblogs.build.up_to_date); a long backlog in slices
(weblogs.cli.builds)."""

from __future__ import annotations

import argparse

from weblogs.bronze import empty as raw_layer
from weblogs.cli.builds import build_in_slices
from weblogs.cli.dbt import nothing_to_build, run_dbt
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
        return build_in_slices(scope, options, run_dbt, run_dbt_process)
