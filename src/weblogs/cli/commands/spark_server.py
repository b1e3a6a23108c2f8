"""`weblogs spark-server`: start, stop or show the warehouse's local Spark Connect server."""

from __future__ import annotations

import argparse
import time

from weblogs.errors import UsageError
from weblogs.spark import server


def spark_server(options: argparse.Namespace) -> int:
    """Start, stop or show the local Apache Spark Connect server of the warehouse."""
    if options.action != "start" and (options.cluster or options.jars or options.conf):
        raise UsageError("--cluster, --jars and --conf are options of `spark-server start`")
    if options.action == "start":
        running = server.status(options.warehouse)
        if running is not None:
            print(f"already running: {describe(running)}")
            return 0
        started = time.monotonic()
        state = server.start(
            options.warehouse,
            port=options.port,
            workers=options.cluster,
            jars=options.jars,
            settings=dict(options.conf),
        )
        print(f"{describe(state)}; up after {time.monotonic() - started:.1f} s")
        if state.port != server.DEFAULT_PORT:
            print(f"for plain dbt: export {server.PORT_ENV}={state.port}")
    elif options.action == "stop":
        stopped = server.stop(options.warehouse)
        print("stopped the Spark Connect server" if stopped else "no Spark Connect server ran")
    else:
        state = server.status(options.warehouse)
        if state is None:
            print("no Spark Connect server runs for this warehouse")
            return 1
        print(describe(state))
    return 0


def describe(state: server.ServerState) -> str:
    text = f"Spark Connect server on {state.url} (pid {state.pid}, log {state.log})"
    workers = [p for p in state.cluster_processes() if p.role.startswith("worker")]
    if workers:
        pids = ", ".join(str(p.pid) for p in workers)
        text += f"; driver of {state.master} with {len(workers)} worker(s) (pids {pids})"
    return text
