"""`weblogs build`: dbt build on the chosen target, once the warehouse is free."""

from __future__ import annotations

import argparse

from weblogs.cli.dbt import run_dbt
from weblogs.cli.warehouse import hold


def build(options: argparse.Namespace) -> int:
    from weblogs import raw_layer

    embedded = options.target.type == "sail_delta"
    with hold(options.warehouse, "build"):
        if embedded and raw_layer.nothing_landed(options.warehouse, options.raw_schema):
            print(raw_layer.NOTHING_LANDED, flush=True)
        return run_dbt("build", options.dbt_args, options.warehouse, options.target)
