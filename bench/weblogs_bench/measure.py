"""Time, CPU and peak memory of a command's whole process tree (a JVM child included),
sampled from /proc while it runs, and what else the machine was doing meanwhile."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from weblogs_bench.variants import BenchError

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")
_SAMPLE_SECONDS = 0.05


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:  # the process ended meanwhile
        pass
    return found


def _tree(root: int) -> list[int]:
    pids, pending = [], [root]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        pending.extend(_children(pid))
    return pids


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (a JVM child included)."""
    total = 0
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE_SIZE
        except OSError:
            continue
    return total


def tree_cpu(root: int) -> float:
    """CPU seconds of a process tree: its live processes and the children they reaped."""
    total = 0
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of proc(5), after pid and name.
        total += sum(int(value) for value in fields[11:15])
    return total / _TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all processes have used since boot, on all cores."""
    with open("/proc/stat") as handle:
        values = [int(value) for value in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return (sum(values[:8]) - idle) / _TICKS


def load_average() -> float:
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


def settle(max_seconds: float, below: float = 1.5) -> None:
    """Wait (at most max_seconds) for the load average to fall below `below`: a variant that
    just ended leaves its own load behind for a minute."""
    deadline = time.monotonic() + max_seconds
    while load_average() >= below and time.monotonic() < deadline:
        time.sleep(1)


@dataclass
class Run:
    seconds: float
    peak_rss_bytes: int
    stdout: str
    cpu_seconds: float
    load_before: float
    load_after: float
    other_cores: float


class Watched:
    """A running command: its peak memory sampled in the background, its output kept."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str], cwd: Path, exclusive: bool = True
    ) -> None:
        """`exclusive`: the only child of this process meanwhile, so what the children used
        when it ends is its CPU time (else the samples of its tree tell). A descendant that
        its parent never waited for (PySpark's JVM, killed on the way out) is missing from
        the children's figure: the tree's last sample counts it, so the larger one is kept."""
        self.argv = list(argv)
        self.exclusive = exclusive
        self.children_before = _children_cpu()
        self.load_before = load_average()
        self.busy_before = machine_busy_seconds()
        self.started = time.perf_counter()
        self.errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in finish()
        self.process = subprocess.Popen(
            self.argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=self.errors, text=True,
            bufsize=1,
        )  # fmt: skip
        self.peak = 0
        self.cpu = self.cpu_before = 0.0
        self.lines: list[str] = []
        self.new_line = threading.Condition()
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _sample(self) -> None:
        while not self._stop.is_set() and self.process.poll() is None:
            self.peak = max(self.peak, tree_rss(self.process.pid))
            self.cpu = max(self.cpu, tree_cpu(self.process.pid))
            time.sleep(_SAMPLE_SECONDS)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.new_line:
                self.lines.append(line.rstrip("\n"))
                self.new_line.notify_all()

    def wait_for(self, pattern: str, after: int, timeout: float) -> re.Match[str]:
        """The first output line from index `after` on matching `pattern`."""
        deadline = time.monotonic() + timeout
        with self.new_line:
            while True:
                for line in self.lines[after:]:
                    if found := re.search(pattern, line):
                        return found
                after = len(self.lines)
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise BenchError(
                        f"{' '.join(self.argv)}: no line matching {pattern!r} "
                        f"(exit {self.process.poll()})\n" + "\n".join(self.lines[-20:])
                    )
                self.new_line.wait(0.2)

    def wait_idle(self, quiet_seconds: float = 2.0, timeout: float = 600) -> None:
        """Until the process tree has used no CPU for quiet_seconds."""
        deadline = time.monotonic() + timeout
        last, since = tree_cpu(self.process.pid), time.monotonic()
        while time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.25)
            now = tree_cpu(self.process.pid)
            if now - last > 0.05:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_seconds:
                return
        raise BenchError(f"{' '.join(self.argv)}: never idle")

    def finish(self, interrupt: bool = False) -> Run:
        """Wait for the end (after Ctrl-C if `interrupt`); fail loudly on a failure."""
        if interrupt and self.process.poll() is None:
            self.process.send_signal(2)
        returncode = self.process.wait()
        seconds = time.perf_counter() - self.started
        self._stop.set()
        self._reader.join(timeout=5)
        self.errors.seek(0)
        stderr = self.errors.read()
        self.errors.close()
        stdout = "\n".join(self.lines)
        if returncode != 0:
            raise BenchError(
                f"{' '.join(self.argv)} exited {returncode}\n{stdout[-3000:]}\n{stderr[-3000:]}"
            )
        return self.run(seconds, stdout)

    def mark(self) -> None:
        """Start measuring afresh from now (time, CPU, peak memory, load)."""
        self.load_before = load_average()
        self.busy_before = machine_busy_seconds()
        self.cpu_before = tree_cpu(self.process.pid)
        self.peak = tree_rss(self.process.pid)
        self.started = time.perf_counter()

    def run(self, seconds: float, stdout: str = "") -> Run:
        """The run so far: `seconds` long, ending now."""
        busy = machine_busy_seconds() - self.busy_before
        cpu = max(self.cpu, tree_cpu(self.process.pid)) - self.cpu_before
        if self.exclusive and self.process.poll() is not None:
            cpu = max(cpu, _children_cpu() - self.children_before)
        other = max(0.0, busy - cpu) / max(seconds, 1e-9)
        return Run(seconds, self.peak, stdout, cpu, self.load_before, load_average(), other)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measured(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    """Run a command to its end; fail loudly if it fails."""
    return Watched(argv, env, cwd).finish()
