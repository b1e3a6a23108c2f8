"""`weblogs spark-server`: start, stop or show the warehouse's local Spark Connect server."""

from __future__ import annotations

import argparse

from weblogs import spark_server as server


def spark_server(options: argparse.Namespace) -> int:
    """Start, stop or show the local Apache Spark Connect server of the warehouse."""
    if options.action == "start":
        state = server.start(options.warehouse, port=options.port)
        print(f"Spark Connect server on {state.url} (pid {state.pid}, log {state.log})")
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
        print(f"Spark Connect server on {state.url} (pid {state.pid}, log {state.log})")
    return 0
