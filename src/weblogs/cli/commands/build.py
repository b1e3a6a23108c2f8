"""`weblogs build`: dbt build on the chosen target, once the warehouse is free, unless
nothing is new since the last build (weblogs.up_to_date)."""

from __future__ import annotations

import argparse

from weblogs import raw_layer
from weblogs.cli.dbt import nothing_to_build, run_dbt
from weblogs.cli.warehouse import hold


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
        return run_dbt("build", options.dbt_args, options.warehouse, options.target)
