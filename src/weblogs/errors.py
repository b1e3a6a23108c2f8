"""The errors a command raises to end in one line: `weblogs: <message>`."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

# The first line of a Rust panic's report, as its default hook prints it on stderr.
PANIC = re.compile(r"^thread '[^']*'(?: \(\d+\))? panicked at ")


class UsageError(Exception):
    """A command that cannot run as asked; the message says what to do instead (exit 2)."""


class CommandFailed(Exception):
    """A command that ran and failed; the message says why (exit 1)."""


@contextlib.contextmanager
def without_native_panic_reports() -> Iterator[None]:
    """A call into a native library (delta-rs) with what it prints on stderr held back
    until it returns. When it raises, the panic reports of its worker threads are dropped:
    a write to a full disk raised "No space left on device" and, on the way, a worker
    panicked ("Already shut down") and printed its stack, a second and louder account of
    the same failure. The error raised says what failed; anything else held back is
    printed as it came."""
    try:
        held = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the with below)
    except OSError:  # nowhere to hold it: the call prints as it would
        yield
        return
    with held:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode("utf-8", errors="replace")
            if failed:
                text = _without_panic_reports(text)
            if text:
                sys.stderr.write(text)
                sys.stderr.flush()


def _without_panic_reports(text: str) -> str:
    """`text` without the Rust panic reports in it: from the "panicked at" line through
    the "note: ..." line that ends a report (or the end, if none does)."""
    kept: list[str] = []
    in_report = False
    for line in text.splitlines(keepends=True):
        if PANIC.match(line):
            in_report = True
        elif in_report and line.startswith("note: "):
            in_report = False
            continue
        if not in_report:
            kept.append(line)
    return "".join(kept)
