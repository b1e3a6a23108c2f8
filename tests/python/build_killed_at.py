"""`dbt build` that dies by SIGKILL at one boundary of its run, as a crash there would:
`python build_killed_at.py BOUNDARY STEPS DBT_ARGS...`.

A boundary is the moment just after a step that may write: an on-run-start or on-run-end
hook, or a node that writes (a function, a seed, a model) once dbt has finished it, its
table committed. Every boundary passed, and every node that failed, is appended to the file
STEPS as one line (`after <hook or node>`, `failed <node>: <status>`), so an uninterrupted
build (BOUNDARY `-`) lists where a test can kill one, and a killed one shows how far it got.
The kill is sent from dbt's own event callback, in the thread that finished the step, so it
falls exactly there and not some time later, as a signal from outside would.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from dbt.cli.main import dbtRunner

WRITING_NODES = ("function.", "seed.", "model.")
FAILED = ("error", "fail", "runtime error")


def main(argv: list[str]) -> int:
    kill_at, steps, dbt_args = argv[0], Path(argv[1]), argv[2:]
    with steps.open("a", encoding="utf-8") as out:

        def on_event(event) -> None:
            name = event.info.name
            if name == "LogHookEndLine":
                reached = f"after {event.data.statement}"
            elif name == "NodeFinished":
                node = event.data.node_info
                if node.node_status in FAILED:
                    out.write(f"failed {node.unique_id}: {node.node_status}\n")
                    out.flush()
                if not node.unique_id.startswith(WRITING_NODES):
                    return
                reached = f"after {node.unique_id}"
            else:
                return
            out.write(reached + "\n")
            out.flush()
            if reached == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

        result = dbtRunner(callbacks=[on_event]).invoke(dbt_args)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
