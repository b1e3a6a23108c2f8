"""`weblogs build`: dbt build on the chosen target, once the warehouse is free."""

from __future__ import annotations

import argparse

from weblogs.cli.dbt import run_dbt
from weblogs.cli.warehouse import hold


def build(options: argparse.Namespace) -> int:
    with hold(options.warehouse, "build"):
        return run_dbt("build", options.dbt_args, options.warehouse, options.target)
