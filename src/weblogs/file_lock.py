"""Locks on files: one process at a time past a block, one writer per warehouse, one
`weblogs run` per warehouse, and one writer of bronze at a time.

The warehouse's writer lock (`.run.lock`) is held by every command that writes tables or
the build state: `weblogs build`, `compact` and each cycle of `weblogs run`, and plain
`dbt build/run/seed/snapshot/test/retry` through the project's adapters (which take it
when dbt opens its first connection). Readers never take it. The `weblogs` commands that
start dbt while holding it (in this process or a child) hand their holding over: the lock
file stays open in a descriptor the child inherits, named in $WEBLOGS_WAREHOUSE_LOCK_FD,
and a flock on that descriptor is the holder's own, so the child's dbt passes instead of
waiting for its parent.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

RUN_LOCK = ".run.lock"
RUNNER_LOCK = ".runner.lock"
INGEST_LOCK = ".ingest.lock"
# The descriptor of the writer lock a process holds, for the dbt it starts.
LOCK_FD_ENV = "WEBLOGS_WAREHOUSE_LOCK_FD"
# Set (to anything but "" or 0) for plain dbt to refuse a held warehouse instead of waiting.
NO_WAIT_ENV = "WEBLOGS_NO_WAIT"
ASK_TO_WAIT = "pass --wait to queue behind it"


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
    """Another process holds the warehouse."""


class WarehouseLock:
    """A lock file of the warehouse through one open file, taken and given back, maybe many
    times (a `weblogs run` between its cycles). The file names its holder: the `command`
    that took it, its pid and since when."""

    def __init__(self, warehouse: Path, command: str, name: str = RUN_LOCK) -> None:
        self.warehouse = warehouse
        self.command = command
        self.path = warehouse / name
        warehouse.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a+")  # noqa: SIM115  (closed by close())
        self.held = False

    def try_take(self) -> bool:
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self._name_holder()
        return True

    def take(self, *, wait: bool, waiting: str = "", how_to_wait: str = ASK_TO_WAIT) -> None:
        """Take the lock. When another process holds it: without `wait`, refuse naming it;
        with, print `waiting` (one line naming the holder) and wait."""
        if self.try_take():
            return
        held_by = holder(self.warehouse, self.path.name)
        if not wait:
            raise RunLockedError(
                f"the warehouse {self.warehouse} is busy: {held_by}. "
                f"Wait for it to finish, or {how_to_wait}."
            )
        if waiting:
            print(
                f"{waiting}: the warehouse {self.warehouse} is held by {held_by}; "
                "waiting until it is free",
                file=sys.stderr,
                flush=True,
            )
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        self._name_holder()

    def _name_holder(self) -> None:
        self.held = True
        self.handle.seek(0)
        self.handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        self.handle.write(f"{self.command} (pid {os.getpid()}) since {since}")
        self.handle.flush()

    def give_back(self) -> None:
        if not self.held:
            return
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.flush()
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.held = False

    def close(self) -> None:
        self.give_back()
        self.handle.close()

    @contextmanager
    def handed_over(self) -> Iterator[None]:
        """While open, the dbt this process runs (in it or in a child started with
        `handed_over_fds()`) finds the holding its own."""
        os.environ[LOCK_FD_ENV] = str(self.handle.fileno())
        try:
            yield
        finally:
            if os.environ.get(LOCK_FD_ENV) == str(self.handle.fileno()):
                del os.environ[LOCK_FD_ENV]


def handed_over_fds() -> tuple[int, ...]:
    """The descriptor a child must inherit to share this process's holding, if any."""
    text = os.environ.get(LOCK_FD_ENV, "")
    return (int(text),) if text.isdigit() else ()


@contextmanager
def run_lock(warehouse: Path, *, wait: bool, command: str = "weblogs run") -> Iterator[None]:
    """The warehouse's writer lock for the block. A second taker waits (wait=True) or
    refuses, naming the holder: the `command` that took the lock, its pid and since when."""
    lock = WarehouseLock(warehouse, command)
    try:
        lock.take(wait=wait)
        with lock.handed_over():
            yield
    finally:
        lock.close()


def ingest_lock(warehouse: Path) -> AbstractContextManager[None]:
    """One writer of bronze at a time: a second ingest waits for the first to commit."""
    return exclusive(warehouse / INGEST_LOCK)


def holder(warehouse: Path, name: str = RUN_LOCK) -> str:
    """Who holds the warehouse, as its lock file says: command, pid and since when."""
    try:
        text = (warehouse / name).read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "another process"


@contextmanager
def hold(warehouse: Path, command: str, *, wait: bool = True) -> Iterator[None]:
    """The warehouse's writer lock for `weblogs <command>`. When another process holds it:
    with wait, one line names the holder and says that we wait, then we wait; without,
    refuse."""
    with ExitStack() as stack:
        lock = WarehouseLock(warehouse, f"weblogs {command}")
        stack.callback(lock.close)
        lock.take(wait=wait, waiting=f"weblogs {command}")
        stack.enter_context(lock.handed_over())
        yield


@contextmanager
def hold_between_cycles(
    warehouse: Path, command: str, *, wait: bool
) -> Iterator[Callable[[], AbstractContextManager[None]]]:
    """For `weblogs run`: its own lock for as long as it runs (one run per warehouse), and
    the writer lock taken now (waiting or refusing, as `hold`). It yields what each cycle
    holds the writer lock with: given back after the cycle, so a plain `dbt build` or
    `weblogs build` gets in between cycles, and taken again (waiting, saying so) by the
    next one."""
    with ExitStack() as stack:
        runner = WarehouseLock(warehouse, f"weblogs {command}", RUNNER_LOCK)
        stack.callback(runner.close)
        runner.take(wait=wait, waiting=f"weblogs {command}")
        writer = WarehouseLock(warehouse, f"weblogs {command}")
        stack.callback(writer.close)
        writer.take(wait=wait, waiting=f"weblogs {command}")
        stack.enter_context(writer.handed_over())

        @contextmanager
        def cycle() -> Iterator[None]:
            writer.take(wait=True, waiting=f"weblogs {command}")
            try:
                yield
            finally:
                writer.give_back()

        yield cycle


def holding_is_handed_over(warehouse: Path) -> bool:
    """Whether this process shares the holding of the warehouse's writer lock through the
    descriptor named in $WEBLOGS_WAREHOUSE_LOCK_FD: the process (or its ancestor) that
    holds it started this one with it. The descriptor must be the lock file's, and a flock
    on it succeed: that succeeds at once for the open file that holds the lock, and for no
    other while it is held."""
    text = os.environ.get(LOCK_FD_ENV, "")
    if not text.isdigit():
        return False
    try:
        inherited = os.fstat(int(text))
        lock_file = os.stat(warehouse / RUN_LOCK)
    except OSError:
        return False
    if (inherited.st_dev, inherited.st_ino) != (lock_file.st_dev, lock_file.st_ino):
        return False
    try:
        fcntl.flock(int(text), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def take_for_dbt(warehouse: Path, command: str) -> WarehouseLock | None:
    """The writer lock for a plain `dbt <command>` (the adapters call this when dbt opens
    its first connection): taken and returned, to be closed when dbt is done; None when the
    process that started this dbt holds it and handed it over. When another process holds
    it, one line on stderr names the holder and we wait, or, with $WEBLOGS_NO_WAIT set,
    RunLockedError says who holds it."""
    lock = WarehouseLock(warehouse, f"dbt {command}")
    if lock.try_take():
        return lock
    if holding_is_handed_over(warehouse):
        lock.close()
        return None
    no_wait = os.environ.get(NO_WAIT_ENV, "").strip() not in ("", "0")
    try:
        lock.take(
            wait=not no_wait,
            waiting=f"dbt {command}",
            how_to_wait=f"unset {NO_WAIT_ENV} to queue behind it",
        )
    except BaseException:
        lock.close()
        raise
    return lock
