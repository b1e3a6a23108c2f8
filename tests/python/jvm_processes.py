"""What the processes of a local Spark are: their children, listening addresses and memory,
read from Linux's /proc (a test helper)."""

from __future__ import annotations

import ipaddress
import os
import time
from pathlib import Path

EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def parent_and_state(pid: int) -> tuple[int, str]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def parent(pid: int) -> int:
    return parent_and_state(pid)[0]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if parent(int(entry.name)) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return sorted(found)


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def still_running(pid: int, grace_seconds: float = 10) -> bool:
    """True while the process exists and is not a zombie, after waiting up to grace_seconds
    for it to go (a JVM that was told to stop takes a moment to exit, and its parent to
    reap it)."""
    deadline = time.monotonic() + grace_seconds
    while True:
        try:
            state = parent_and_state(pid)[1]
        except (OSError, IndexError):
            return False
        if state in "ZX" or time.monotonic() > deadline:
            return state not in "ZX"
        time.sleep(0.2)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def listening_addresses(pid: int) -> set[str]:
    """Local addresses of the TCP sockets a process listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(local.split(":")[0])
            # /proc prints each 32-bit word in host (little-endian) order.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            address = ipaddress.ip_address(words)
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            addresses.add(str(address))
    return addresses


def executors(worker_pid: int) -> list[int]:
    """The executor JVMs a standalone worker launched."""
    return [pid for pid in children(worker_pid) if EXECUTOR_CLASS in command_line(pid)]


def python_workers(executor_pid: int) -> list[int]:
    """The Python processes (the pyspark daemon and the UDF workers it forks) under an
    executor JVM."""
    return [pid for pid in descendants(executor_pid) if "pyspark" in command_line(pid)]
