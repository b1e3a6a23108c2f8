"""One module per `weblogs` command; each exports the function that runs it, named as its module.

A command's module is imported when the command runs, not when the parser is built: `weblogs
--help` and a usage error then answer without loading pyarrow, pandas, dbt or the engines.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable


def runner(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs the command of module `name`, imported on its first call."""

    def run(options: argparse.Namespace) -> int:
        module = importlib.import_module(f"{__name__}.{name}")
        return getattr(module, name)(options)

    run.__name__ = run.__qualname__ = name
    return run
