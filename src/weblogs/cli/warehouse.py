"""Holding the warehouse for a command that writes to it, and saying so when it must wait."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from weblogs.file_lock import RUN_LOCK, RunLockedError, run_lock


def holder(warehouse: Path) -> str:
    """Who holds the warehouse, as its lock file says: command, pid and since when."""
    try:
        text = (warehouse / RUN_LOCK).read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "another process"


@contextmanager
def hold(warehouse: Path, command: str, *, wait: bool = True) -> Iterator[None]:
    """The warehouse's lock for `weblogs <command>`. When another process holds it: with
    wait, one line names the holder and says that we wait, then we wait; without, refuse."""
    with ExitStack() as stack:
        try:
            stack.enter_context(run_lock(warehouse, wait=False, command=f"weblogs {command}"))
        except RunLockedError:
            if not wait:
                raise
            print(
                f"weblogs {command}: the warehouse {warehouse} is held by {holder(warehouse)}; "
                "waiting until it is free",
                file=sys.stderr,
                flush=True,
            )
            stack.enter_context(run_lock(warehouse, wait=True, command=f"weblogs {command}"))
        yield
