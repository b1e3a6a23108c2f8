"""The micro-batch loop: offered files in, bronze commits out, and a report of what
happened to each file."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from weblogs.bronze.base import Bronze
from weblogs.bronze.delta import DeltaBronze
from weblogs.file_lock import ingest_lock
from weblogs.ingest.ledger import LANDED, Ledger, LedgerEntry
from weblogs.ingest.offers import DEFAULT_SITE, Limits, Offer, check_site, expand_paths
from weblogs.ingest.pieces import Held, Piece, file_pieces
from weblogs.ingest.stream import is_archive

Landed = Callable[[list[Held], int, list[LedgerEntry]], None]


@dataclass
class IngestResult:
    batches: list[int] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    latin1_lines: int = 0
    bytes: int = 0
    duplicates: int = 0
    held_back: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def batch_id(self) -> int | None:
        return self.batches[-1] if self.batches else None

    def summary(self) -> str:
        if self.batches:
            span = (
                f"batch {self.batches[0]}"
                if len(self.batches) == 1
                else f"batches {self.batches[0]}-{self.batches[-1]}"
            )
            text = (
                f"{span}: {self.lines:,} lines from {self.files} file(s)"
                f" ({self.latin1_lines:,} not valid UTF-8, kept as latin-1)"
            )
        else:
            text = "nothing new to ingest"
        if self.duplicates:
            text += f"; {self.duplicates} file(s) already ingested (same content), skipped"
        for note in self.held_back:
            text += f"\n  held back: {note}"
        for problem in self.problems:
            text += f"\n  problem: {problem}"
        return text


class Landing:
    """Bronze commits in batch order, at most one in flight: with `overlap`, a batch is
    written in a background thread while the next one is read and numbered (the write runs
    mostly outside the interpreter lock), and each batch's `done` runs on the calling
    thread once its commit is in. Without it, each commit is made when submitted."""

    def __init__(self, bronze: Bronze, *, overlap: bool) -> None:
        self.bronze = bronze
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="weblogs-land") if overlap else None
        self.pending: tuple[Future, list[Held], int, Landed] | None = None

    def submit(self, batch: list[Held], batch_id: int, done: Landed) -> None:
        self.wait()
        if self.pool is None:
            done(batch, batch_id, self.bronze.land(batch, batch_id))
        else:
            future = self.pool.submit(self.bronze.land, batch, batch_id)
            self.pending = (future, batch, batch_id, done)

    def wait(self) -> None:
        """Wait for the commit in flight, if any; its error, if it failed, is raised here."""
        if self.pending is not None:
            future, batch, batch_id, done = self.pending
            self.pending = None
            done(batch, batch_id, future.result())

    def close(self) -> None:
        """Let a commit in flight finish (a failure on the way out leaves no half batch)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)


Progress = Callable[[IngestResult, int, int], None]


def ingest_offers(
    offers: Iterable[Offer],
    warehouse: Path,
    raw_schema: str,
    limits: Limits = Limits(),
    *,
    after_batch: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
    bronze: Bronze | None = None,
) -> IngestResult:
    """Land the new lines of the offered files in micro-batches bounded by `limits`.

    Each micro-batch is one bronze commit; `after_batch(batch_id)` runs after each (the
    trigger of `weblogs run` builds the models there). `should_stop` ends the drain early;
    what was not landed stays pending for the next call.
    """
    offers = list(offers)
    result = IngestResult()
    total_bytes = sum(_size(offer.path) for offer in offers)
    with ingest_lock(warehouse):
        bronze = bronze or DeltaBronze(warehouse, raw_schema)
        ledger = bronze.load_ledger()
        next_batch = bronze.committed_batch_id() + 1
        max_bytes = limits.max_bytes or bronze.batch_bytes
        batch: list[Held] = []
        notes: list[LedgerEntry] = []
        files_done: set[str] = set()

        def landed(landed_batch: list[Held], batch_id: int, entries: list[LedgerEntry]) -> None:
            result.batches.append(batch_id)
            files_done.update(entry.source_file for entry in entries)
            result.files = len(files_done)
            result.lines += sum(piece.entry.line_count for piece in landed_batch)
            result.bytes += sum(piece.size for piece in landed_batch)
            result.latin1_lines += sum(piece.latin1_lines for piece in landed_batch)
            for entry in entries:
                if entry.status == "damaged":
                    result.problems.append(f"{entry.source_file}: {entry.message}")
            if progress:
                progress(result, total_bytes, len(offers))
            if after_batch:
                after_batch(batch_id)

        def flush() -> None:
            nonlocal batch, next_batch
            if not batch:
                return
            landing.submit(batch, next_batch, landed)
            batch = []
            next_batch += 1

        def batch_full(piece: Piece) -> bool:
            files = {p.entry.source_file for p in batch} | {piece.entry.source_file}
            size = sum(p.size for p in batch) + piece.size
            return bool(batch) and (len(files) > limits.max_files or size > max_bytes)

        # A caller told of each commit (after_batch) gets them one at a time, without the
        # background landing.
        landing = Landing(bronze, overlap=bronze.lands_in_background and after_batch is None)
        try:
            for offer in offers:
                if should_stop():
                    break
                for item in file_pieces(offer, ledger, limits):
                    if isinstance(item, LedgerEntry):
                        _take_note(item, ledger, notes, result)
                        continue
                    if batch_full(item):
                        flush()
                        if should_stop():
                            break
                    batch.append(bronze.keep(item))
                else:
                    continue
                break
            stopped_early = should_stop()
            if not stopped_early:
                flush()
            else:
                # A duplicate may point at content planned but not landed: find it again later.
                notes = [note for note in notes if note.status != "duplicate"]
            landing.wait()
        finally:
            landing.close()
        bronze.record(notes)
        if not stopped_early:
            result.held_back.extend(_held_back(offers, ledger))
    return result


def _take_note(
    note: LedgerEntry, ledger: Ledger, notes: list[LedgerEntry], result: IngestResult
) -> None:
    """Count and report a file that landed nothing; keep the note unless the ledger holds
    the same one already (an unreadable file tried again unchanged)."""
    if note.status == "duplicate":
        result.duplicates += 1
    elif note.status == "unreadable":
        result.problems.append(f"{note.source_file}: unreadable, nothing landed: {note.message}")
    if not ledger.holds_note(note):
        ledger.add(note)
        notes.append(note)


def _held_back(offers: list[Offer], ledger: Ledger) -> Iterator[str]:
    """Files whose last line is unfinished: it lands once the file settles."""
    for offer in offers:
        seen = ledger.last_seen(offer.site, str(offer.path))
        if seen is None or (seen.status in LANDED and seen.pending_bytes > 0):
            held = _size(offer.path) - (seen.end_offset if seen else 0)
            if held > 0 and not is_archive(offer.path):
                yield (
                    f"{offer.path}: {held} byte(s) after the last complete line, "
                    "landed once the file settles"
                )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def ingest(
    paths: Iterable[str | Path],
    warehouse: Path,
    raw_schema: str,
    *,
    site: str = DEFAULT_SITE,
    limits: Limits = Limits(),
    progress: Progress | None = None,
    bronze: Bronze | None = None,
) -> IngestResult:
    """Land the new lines of the given files and folders (all of one site)."""
    check_site(site)
    offers = [Offer(path, site) for path in expand_paths(paths)]
    return ingest_offers(offers, warehouse, raw_schema, limits, progress=progress, bronze=bronze)


def print_progress(result: IngestResult, total_bytes: int, files: int) -> None:
    """A one-line progress report on a terminal, for long ingests."""
    if not sys.stderr.isatty():
        return
    share = f"{100 * result.bytes / total_bytes:5.1f}%" if total_bytes else "  -  "
    sys.stderr.write(
        f"\ringest {share}  {result.bytes / 1e6:,.0f} MB  {result.lines:,} lines  "
        f"{len(result.batches)} batch(es)  {result.files}/{files} file(s)"
    )
    sys.stderr.flush()
