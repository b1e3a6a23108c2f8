"""Locks on files: one process at a time past a block, one writing command per warehouse,
and one writer of bronze at a time."""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

RUN_LOCK = ".run.lock"
INGEST_LOCK = ".ingest.lock"


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Wait for, then hold, the lock of `path` (created with its folder if missing). The
    kernel drops it when the holder dies, so a killed process never leaves it taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class RunLockedError(RuntimeError):
    """Another `weblogs run` (or compaction) holds the warehouse."""


@contextmanager
def run_lock(warehouse: Path, *, wait: bool, command: str = "weblogs run") -> Iterator[None]:
    """One `weblogs run` per warehouse. A second one waits (wait=True) or refuses, naming the
    holder: the `command` that took the lock, its pid and since when."""
    warehouse.mkdir(parents=True, exist_ok=True)
    path = warehouse / RUN_LOCK
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLockedError(
                f"the warehouse {warehouse} is busy: {holder}. "
                "Wait for it to finish, or pass --wait to queue behind it."
            ) from None
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"{command} (pid {os.getpid()}) since {since}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def ingest_lock(warehouse: Path) -> AbstractContextManager[None]:
    """One writer of bronze at a time: a second ingest waits for the first to commit."""
    return exclusive(warehouse / INGEST_LOCK)


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
