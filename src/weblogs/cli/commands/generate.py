"""`weblogs generate`: write a synthetic access log, or a real one repeated to size."""

from __future__ import annotations

import argparse
from pathlib import Path

from weblogs.generate import write_log
from weblogs.real_shape import write_replicated_log


def generate(options: argparse.Namespace) -> int:
    if options.real_log:
        path = write_replicated_log(Path(options.real_log), Path(options.out), options.lines)
        print(
            f"wrote {options.lines:,} lines of {options.real_log}, repeated with each copy a "
            f"day later, to {path}"
        )
        return 0
    path = write_log(
        Path(options.out), options.lines, log_format=options.log_format, seed=options.seed
    )
    print(f"wrote {options.lines:,} lines to {path}")
    return 0
