"""Time and peak memory of a command, its whole process tree included (a JVM child too),
sampled from /proc while it runs."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from weblogs_bench.variants import BenchError

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:  # the process ended meanwhile
        pass
    return found


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (a JVM child included)."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE_SIZE
        except OSError:
            continue
        pending.extend(_children(pid))
    return total


@dataclass
class Run:
    seconds: float
    peak_rss_bytes: int
    stdout: str


def measured(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    """Run a command, polling its process tree's memory; fail loudly if it fails."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise BenchError(
            f"{' '.join(map(str, argv))} exited {process.returncode}\n"
            f"{stdout[-3000:]}\n{stderr[-3000:]}"
        )
    return Run(seconds, peak, stdout)
