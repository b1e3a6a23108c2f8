"""`weblogs run`: the same ingest-then-build path under three triggers.

Batch is a stream with a long trigger. Each cycle lands the new lines of the landing folder
in bounded micro-batches, then builds the models once through the last of them (a long
backlog in slices of lines, weblogs.cli.builds); the trigger only decides when a cycle
starts: once (available-now: drain the backlog, then exit), every N seconds,
or when files arrive. The checkpoint is the ingest ledger (see weblogs.ingest) plus the
batch the models were last built through (weblogs.build.state), so a restart resumes where
the last run stopped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from weblogs.bronze.delta import DeltaBronze
from weblogs.build.state import built_through, record_built_through
from weblogs.ingest.micro_batches import IngestResult, ingest_offers
from weblogs.ingest.offers import Limits, landing_offers

# --watch waits for a burst of writes to end, at most this long after its first event.
SETTLE_AT_MOST_SECONDS = 3.0
# --watch's rest of the project waits behind the build_first paths at most this long
# (--rest-within).
REST_WITHIN_SECONDS = 30.0


def release_memory() -> None:
    """Give the memory the cycle's ingest freed back to the system before its build: the
    build runs in a child, and this process's idle heap adds to the peak of the two (after
    a 2M-line backlog this process held 475 MiB while dbt built, 417 MiB with this)."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        libc = ctypes.CDLL(libc_name)
        if hasattr(libc, "malloc_trim"):  # glibc only
            libc.malloc_trim(0)


def parse_duration(text: str) -> float:
    """Seconds in '90', '90s', '5m', '1h', '1.5m'."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match[1]) <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 1h)")
    return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


class StopFlag:
    """SIGINT/SIGTERM once: finish the current micro-batch, then stop. Twice: stop now."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name = ""

    def __call__(self) -> bool:
        return self.event.is_set()

    def handle(self, signum: int, _frame) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name
        self.event.set()

    @contextmanager
    def installed(self) -> Iterator[StopFlag]:
        previous = {sig: signal.signal(sig, self.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@dataclass
class RunReport:
    cycles: int = 0
    batches: list[int] = field(default_factory=list)
    lines: int = 0
    builds: int = 0
    failed_builds: int = 0


@dataclass
class Runner:
    landing: Path
    warehouse: Path
    raw_schema: str
    build: Callable[[], bool]
    limits: Limits = field(default_factory=Limits)
    compact_every: int = 0
    compact: Callable[[], None] | None = None
    say: Callable[[str], None] = print
    stop: StopFlag = field(default_factory=StopFlag)
    report: RunReport = field(default_factory=RunReport)
    bronze: DeltaBronze | None = None
    # Whether each build records the build state itself (dbt on the local and spark targets
    # does).
    build_records_state: bool = True
    # Why a build would have nothing to do (weblogs.build.up_to_date), or None: then it builds.
    nothing_new: Callable[[], str | None] = lambda: None
    # What a cycle holds while it lands and builds: the warehouse's writer lock, given back
    # between cycles so other writers (a plain `dbt build`) get in (weblogs.file_lock).
    hold: Callable[[], AbstractContextManager[None]] = nullcontext
    # Set by --watch when a file in the landing folder is written, cleared when a cycle
    # starts on it.
    files_changed: threading.Event = field(default_factory=threading.Event)
    # Under --watch: a build of the build_first paths alone (weblogs.build.order), given the
    # batches the cycle landed, so that their tables show a micro-batch's lines after that
    # part of a build: True if it built,
    # False if it failed, None where it does not apply (a backlog built in slices). It is
    # used while lines keep coming (files were written during the cycle before, or since
    # this one started); the whole build follows once no files are waiting, or
    # `rest_within` seconds after the first such build at the latest. A file dropped into
    # an idle run is built whole at once, as before. None: every cycle builds it whole.
    build_first: Callable[[tuple[int, ...]], bool | None] | None = None
    rest_within: float = REST_WITHIN_SECONDS
    # Whether files were written while the cycle before ran (set by run_watch).
    lines_flowing: bool = False
    # Since when (monotonic) builds of the first paths alone have left the rest behind, and
    # the batches landed meanwhile (for compaction, which follows the whole build).
    rest_behind_since: float | None = None
    rest_landed: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bronze = self.bronze or DeltaBronze(self.warehouse, self.raw_schema)

    def _build_through(self, batch_id: int, landed: tuple[int, ...] = ()) -> bool:
        """Build through `batch_id`; `landed` are the batches this cycle added (compaction
        runs after every `compact_every`-th batch)."""
        reason = self.nothing_new()
        if reason:
            self.say(reason)
            return True
        started = time.monotonic()
        release_memory()
        ok = self.build()
        self.report.builds += 1
        if ok:
            if not self.build_records_state:
                record_built_through(self.warehouse, batch_id)
            through = built_through(self.warehouse)
            self.say(f"built through batch {through} in {time.monotonic() - started:.1f} s")
        else:
            self.report.failed_builds += 1
            self.say(f"build after batch {batch_id} failed; the next cycle builds again")
        compacts = self.compact is not None and self.compact_every > 0
        if compacts and any(n % self.compact_every == 0 for n in landed or (batch_id,)):
            self.compact()
        return ok

    def _build_first_paths(self, batch_id: int, landed: tuple[int, ...]) -> bool:
        """Build the first paths alone through `batch_id`, if the run does; False when the
        whole project is to be built now instead (also when that build failed: the whole
        build says what fails, and counts as the cycle's build)."""
        if self.build_first is None or not (self.lines_flowing or self.files_changed.is_set()):
            return False
        started = time.monotonic()
        release_memory()
        ok = self.build_first(landed)
        if ok is None:
            return False
        if not ok:
            self.say(
                f"the build_first paths failed after batch {batch_id}: building the whole project"
            )
            return False
        self.report.builds += 1
        self.rest_landed.extend(landed)
        if self.rest_behind_since is None:
            self.rest_behind_since = started
        self.say(
            f"built the build_first paths through batch {batch_id} in "
            f"{time.monotonic() - started:.1f} s; the rest when files pause, within "
            f"{self.rest_within:g} s"
        )
        return True

    def _rest_is_due(self) -> bool:
        """Whether the rest of the project left behind is built now: files are not waiting,
        its time is up, or the run is stopping (its micro-batches are built whole)."""
        return self.rest_behind_since is not None and (
            not self.files_changed.is_set()
            or time.monotonic() - self.rest_behind_since >= self.rest_within
            or self.stop()
        )

    def _build_whole(self, batch_id: int, landed: tuple[int, ...] = ()) -> None:
        """Build the whole project through `batch_id`, and with it any rest left behind."""
        landed, self.rest_landed = (*self.rest_landed, *landed), []
        if self._build_through(batch_id, landed):
            self.rest_behind_since = None
        elif self.rest_behind_since is not None:
            # Tried again when files pause next, or after as long again.
            self.rest_behind_since = time.monotonic()

    def catch_up(self) -> None:
        """Build if bronze holds batches the models have not been built through (a run that
        stopped between landing a batch and building it)."""
        committed = self.bronze.committed_batch_id()
        if committed > built_through(self.warehouse):
            self.say(f"models are behind bronze (batch {committed}): building")
            self._build_through(committed)

    def cycle(self) -> IngestResult:
        """Land everything new in the landing folder, micro-batch by micro-batch, then build
        once. A build after every 64 MB micro-batch made a cold `weblogs run` of 4M lines
        in one file 3.4 times as long as `weblogs ingest` then `weblogs build`: each of the
        seven builds paid dbt's start and the data tests again."""
        self.report.cycles += 1
        with self.hold():
            if self.rest_behind_since is None:
                # (Left behind by this run, the rest is built below.)
                self.catch_up()
            result = ingest_offers(
                landing_offers(self.landing),
                self.warehouse,
                self.raw_schema,
                self.limits,
                should_stop=self.stop,
                bronze=self.bronze,
            )
            # Counted from the result, not as each commit lands: a caller told of each
            # commit gets them one at a time, without the background landing that writes a
            # batch while the next is read (`weblogs ingest`'s), which the cycle needs no
            # more now that it builds once, after the last.
            self.report.batches.extend(result.batches)
            self.report.lines += result.lines
            if result.batches or result.duplicates or result.problems:
                self.say(result.summary())
            if result.batches:
                # Also when told to stop: the batches landed are built, as they were when a
                # build followed each one (a second signal stops the build itself). Under
                # the cycle's hold: the build writes the warehouse.
                batches = tuple(result.batches)
                if not self._build_first_paths(batches[-1], batches):
                    self._build_whole(batches[-1], batches)
            if self._rest_is_due():
                self._build_whole(self.bronze.committed_batch_id())
        return result

    def run_once(self) -> RunReport:
        if not self.stop():
            self.cycle()
        return self._finish()

    def run_every(self, seconds: float, max_cycles: int | None = None) -> RunReport:
        next_start = time.monotonic()
        while not self.stop():
            result = self.cycle()
            if self.stop() or (max_cycles is not None and self.report.cycles >= max_cycles):
                break
            # A cycle that overran its interval is followed by one at once, not by one per
            # interval missed (as Spark's processing-time trigger): after a 16 s build under
            # `--every 1s`, fifteen cycles ran back to back, each saying "nothing new".
            next_start = max(next_start + seconds, time.monotonic())
            # A line between cycles: with nothing printed, alive and stuck looked alike.
            at = datetime.now(UTC) + timedelta(seconds=max(0.0, next_start - time.monotonic()))
            self.say(f"{self._found(result)}next look at {at:%H:%M:%S} UTC")
            self.stop.event.wait(max(0.0, next_start - time.monotonic()))
        return self._finish()

    def _found(self, result: IngestResult) -> str:
        """What to say of a cycle before saying what comes next: that it found nothing, if it
        found nothing (what it landed or noted, cycle() says)."""
        if result.batches or result.duplicates or result.problems:
            return ""
        return f"nothing new in {self.landing}; "

    def run_watch(self, quiet_seconds: float = 1.0, max_cycles: int | None = None) -> RunReport:
        """A cycle at start, then one whenever files arrive (after `quiet_seconds` without
        further events, at most SETTLE_AT_MOST_SECONDS after the first), or at once when
        files changed during the cycle before; a full rescan every minute in case an event
        was missed."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        arrived = self.files_changed

        class Arrivals(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type in ("created", "modified", "moved", "closed"):
                    arrived.set()

        observer = Observer()
        observer.schedule(Arrivals(), str(self.landing), recursive=True)
        observer.start()
        try:
            while not self.stop():
                result = self.cycle()
                if self.stop() or (max_cycles is not None and self.report.cycles >= max_cycles):
                    break
                self.lines_flowing = arrived.is_set()
                if arrived.is_set():
                    # Files changed while the cycle ran: their lines have waited a cycle
                    # already, and settling held them back further for a writer that never
                    # pauses (3 s of every cycle under a steady log). Whole lines land; an
                    # unfinished last line waits for its file to settle (--settle-seconds).
                    arrived.clear()
                    continue
                self.say(f"{self._found(result)}waiting for files in {self.landing}")
                deadline = time.monotonic() + 60
                while not self.stop() and time.monotonic() < deadline:
                    if arrived.wait(0.5):
                        # Let a burst of writes finish before reading, but not for ever: a
                        # log written steadily never goes quiet, and waiting for it to held
                        # every line back until the writer paused.
                        settled_by = time.monotonic() + SETTLE_AT_MOST_SECONDS
                        while (
                            arrived.is_set() and not self.stop() and time.monotonic() < settled_by
                        ):
                            arrived.clear()
                            time.sleep(quiet_seconds)
                        break
            if self.rest_behind_since is not None:
                # Stopped between cycles, or ended by its cycle count (tests), while the
                # rest waited: built now.
                with self.hold():
                    self._build_whole(self.bronze.committed_batch_id())
        finally:
            observer.stop()
            observer.join()
        return self._finish()

    def _finish(self) -> RunReport:
        if self.stop():
            self.say(
                f"stopped by {self.stop.signal_name} after a finished micro-batch; "
                "a restart resumes from the checkpoint"
            )
        return self.report
