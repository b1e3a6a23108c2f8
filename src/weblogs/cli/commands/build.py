"""`weblogs build`: dbt build on the chosen target, once the warehouse is free."""

from __future__ import annotations

import argparse

from weblogs.cli.dbt import run_dbt


def build(options: argparse.Namespace) -> int:
    from weblogs.runner import run_lock

    with run_lock(options.warehouse, wait=True):
        return run_dbt(["build", *options.dbt_args], options.warehouse, options.target)
