"""How a `weblogs` process ends: its exit codes, a closed output pipe, and an exit that
skips the interpreter's teardown."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from typing import NoReturn

# Exit codes: 1 for a command that failed, 2 for one that cannot run as asked (as argparse
# uses), 130 for Ctrl-C and 141 for a closed output pipe (what a shell reports for a process
# ended by SIGINT or SIGPIPE).
FAILED, USAGE_ERROR, INTERRUPTED, PIPE_CLOSED = 1, 2, 130, 141


def leave(code: int) -> NoReturn:
    """End the process with `code` once its output is flushed, skipping the interpreter's
    teardown. The embedded engine and pyarrow leave native threads that can still be
    winding down there and then abort the process (SIGABRT, "terminate called without an
    active exception") after the command did its work: seen in about one whole-suite run in
    two, from `weblogs status` and `weblogs sql`. Python's exit handlers still run."""
    if not flushed():
        code = code or PIPE_CLOSED
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    # The command is over and its code stands: a Ctrl-C now has nothing to stop, and in an
    # exit handler it printed "Exception ignored ... KeyboardInterrupt" with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What Python's exit runs first (dbt's multiprocessing locks are unlinked here, logging
    # flushed); what it skips is the native teardown after it.
    atexit._run_exitfuncs()
    os._exit(code)


def flushed() -> bool:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        drop_output()
        return False
    return True


def drop_output() -> None:
    """The reader of our output went away (`weblogs ... | head`): send what is still buffered
    to /dev/null, so that Python's exit does not report the closed pipe once more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
