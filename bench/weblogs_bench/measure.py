"""Time, CPU and peak memory of a command's whole process tree (a JVM child included),
sampled from /proc while it runs, and what else the machine was doing meanwhile; with the
processes of an engine that runs beside it (a Spark server, a cluster's JVMs and their
Python workers), which are the command's work too."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from weblogs_bench.variants import BenchError

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")
_SAMPLE_SECONDS = 0.05
# An engine's processes are listed and sampled less often: finding them reads every
# process's stat.
_ENGINE_SAMPLES_EVERY = 10
# The processes of an engine beside a command, by group ("server JVM", "worker-1 executor
# Python"), found anew at each sample (Python workers come and go).
EngineProcesses = Callable[[], dict[str, list[int]]]


def children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from one pass over every process's stat: the kernel's own
    per-thread `children` lists can miss a child while other processes start and end."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:  # the process ended meanwhile
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry))
    return children


def _tree(root: int) -> list[int]:
    children = children_by_parent()
    pids, pending = [], [root]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        pending.extend(children.get(pid, []))
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


def _own_cpu(pid: int) -> float:
    """CPU seconds of one process itself (not the children it reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE_SIZE
    except OSError:
        return 0


class EngineSamples:
    """Peak memory per group, and CPU, of an engine's processes while a command runs. A
    process's CPU is its last sample's, so one that ends between two samples loses at most
    half a second; a reaped child's CPU is not counted again in its parent's."""

    def __init__(self, processes: EngineProcesses) -> None:
        self.processes = processes
        self.group_peaks: dict[str, int] = {}
        self.rss = 0
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.sample(first=True)

    def sample(self, first: bool = False) -> None:
        total = 0
        for group, pids in self.processes().items():
            group_rss = 0
            for pid in pids:
                group_rss += _rss(pid)
                cpu = _own_cpu(pid)
                if cpu < 0:
                    continue
                if first:
                    self.cpu_first[pid] = cpu
                self.cpu_last[pid] = cpu
            self.group_peaks[group] = max(self.group_peaks.get(group, 0), group_rss)
            total += group_rss
        self.rss = total

    def cpu_seconds(self) -> float:
        return sum(cpu - self.cpu_first.get(pid, 0.0) for pid, cpu in self.cpu_last.items())


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
    # Peak resident bytes of each group of the engine's processes, and their CPU seconds
    # (within cpu_seconds too).
    engine_peaks: dict[str, int] = field(default_factory=dict)
    engine_cpu_seconds: float = 0.0


class Watched:
    """A running command: its peak memory sampled in the background, its output kept."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        cwd: Path,
        exclusive: bool = True,
        engine: EngineProcesses | None = None,
    ) -> None:
        """`exclusive`: the only child of this process meanwhile, so what the children used
        when it ends is its CPU time (else the samples of its tree tell). A descendant that
        its parent never waited for (PySpark's JVM, killed on the way out) is missing from
        the children's figure: the tree's last sample counts it, so the larger one is kept.
        `engine`: the processes of a server the command works through, measured with it."""
        self.argv = list(argv)
        self.exclusive = exclusive
        self.engine_processes = engine
        self.engine = EngineSamples(engine) if engine else None
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
        samples = 0
        while not self._stop.is_set() and self.process.poll() is None:
            engine = self.engine
            if engine is not None and samples % _ENGINE_SAMPLES_EVERY == 0:
                engine.sample()
            self.peak = max(self.peak, tree_rss(self.process.pid) + (engine.rss if engine else 0))
            self.cpu = max(self.cpu, tree_cpu(self.process.pid))
            samples += 1
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
        if self.engine_processes is not None:
            self.engine = EngineSamples(self.engine_processes)
        self.peak = tree_rss(self.process.pid) + (self.engine.rss if self.engine else 0)
        self.started = time.perf_counter()

    def run(self, seconds: float, stdout: str = "") -> Run:
        """The run so far: `seconds` long, ending now."""
        busy = machine_busy_seconds() - self.busy_before
        cpu = max(self.cpu, tree_cpu(self.process.pid)) - self.cpu_before
        if self.exclusive and self.process.poll() is not None:
            cpu = max(cpu, _children_cpu() - self.children_before)
        engine_peaks, engine_cpu = {}, 0.0
        if self.engine is not None:
            self.engine.sample()
            engine_peaks, engine_cpu = dict(self.engine.group_peaks), self.engine.cpu_seconds()
            cpu += engine_cpu
        other = max(0.0, busy - cpu) / max(seconds, 1e-9)
        return Run(
            seconds, self.peak, stdout, cpu, self.load_before, load_average(), other,
            engine_peaks, engine_cpu,
        )  # fmt: skip


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measured(
    argv: Sequence[str], env: dict[str, str], cwd: Path, engine: EngineProcesses | None = None
) -> Run:
    """Run a command to its end (with the engine's processes, if given); fail loudly if it
    fails."""
    return Watched(argv, env, cwd, engine=engine).finish()
