"""`dbt build`s that die by SIGKILL at one boundary of their run each, as a crash there would,
one after the other: `python build_killed_at.py RUNS BOUNDARY... -- DBT_ARGS...`.

A boundary is the moment just after a step that may write: an on-run-start or on-run-end
hook, or a node that writes (a function, a seed, a model) once dbt has finished it, its
table committed. Run N (from 0) is killed at the Nth BOUNDARY (`-`: never) and leaves three
files in the folder RUNS: `N.steps`, every boundary it passed and every node that failed,
one a line (`after <hook or node>`, `failed <node>: <status>`), so an uninterrupted build
lists where a test can kill one and a killed one shows how far it got; `N.out`, what dbt
printed; and `N.status`, its exit status (`-9` when killed). The kill is sent from dbt's own
event callback, in the thread that finished the step, so it falls exactly there and not
some time later, as a signal from outside would.

Each run is a process of its own, forked from this one once dbt is imported, so a run pays
for dbt's start-up but not for importing it again. The runs stop at the first that does not
end as asked (killed at its boundary, or exit 0 for `-`): the next would start from a state
no test asked for.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import traceback
from pathlib import Path

# Imported before the first fork, so that every run starts with it loaded. (Not the
# adapter: importing the engine starts threads, which a fork would not copy.)
from dbt.cli.main import dbtRunner

WRITING_NODES = ("function.", "seed.", "model.")
FAILED = ("error", "fail", "runtime error")


def build(kill_at: str, steps: Path, dbt_args: list[str]) -> int:
    """One dbt invocation in this process, killing it at `kill_at`; its exit status."""
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


def forked_build(kill_at: str, runs: Path, number: int, dbt_args: list[str]) -> int:
    """`build` in a child process with its output in `runs`; the child's exit status."""
    # A fork copies only the calling thread: any other (none is expected after the imports)
    # would be missing in the child.
    threads = os.listdir("/proc/self/task")
    assert len(threads) == 1, f"{len(threads)} threads before a fork"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            output = os.open(runs / f"{number}.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(output, 1)
            os.dup2(output, 2)
            code = build(kill_at, runs / f"{number}.steps", dbt_args)
        except BaseException:
            traceback.print_exc()
        finally:
            # As the process would end on its own, but never returning into the loop of runs.
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def main(argv: list[str]) -> int:
    split = argv.index("--")
    runs, boundaries, dbt_args = Path(argv[0]), argv[1:split], argv[split + 1 :]
    runs.mkdir(parents=True, exist_ok=True)
    for number, boundary in enumerate(boundaries):
        status = forked_build(boundary, runs, number, dbt_args)
        (runs / f"{number}.status").write_text(f"{status}\n")
        steps = runs / f"{number}.steps"
        reached = steps.read_text().splitlines()[-1:] if steps.exists() else []
        expected = (0, reached) if boundary == "-" else (-signal.SIGKILL, [boundary])
        if (status, reached) != expected:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
