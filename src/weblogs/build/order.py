"""Which nodes a build runs first: the published tables a reader waits for.

dbt runs the ready node of the lowest graph depth first, so on two threads `network_filter`
(the lab's result, the table a new line is waited for in) was written after every model at
the depth of its input: 4.0 s into a 5.0 s micro-batch build of the embedded engine. A model
whose config has `meta: {build_first: true}` is run, with everything it waits for in the
build (its upstream models, their tests, the unit tests before them), before any node that
is ready at the same time and not on that path. It changes the order only: the same nodes
run, each after what it depends on, and readers see each table's old or new version as
before.

dbt takes no priority from a project, so the `weblogs` command, which runs dbt in its own
process, sets the order there (install()); a plain `dbt build` runs by depth alone.

`weblogs run --watch` also builds those paths alone (FIRST_PATHS) for a micro-batch that
more lines follow, and the whole project once the files pause (weblogs.runner).
"""

from __future__ import annotations

from typing import Any

BUILD_FIRST = "build_first"

# dbt build's selection of the build_first paths alone: the marked models, everything they
# wait for, and only the tests whose every input is among them (a reconciliation test that
# also reads the quarantine waits for the whole build).
FIRST_PATHS = ("--select", f"+config.meta.{BUILD_FIRST}:true", "--indirect-selection", "cautious")

_installed = False
# The number of threads of the build a queue hands nodes out to (set by run_queue).
_THREADS = "_weblogs_threads"


def without_first_paths(argv: list[str]) -> list[str]:
    """argv without the FIRST_PATHS selection, if it holds it: the build it narrows."""
    size = len(FIRST_PATHS)
    for start in range(len(argv) - size + 1):
        if tuple(argv[start : start + size]) == FIRST_PATHS:
            return argv[:start] + argv[start + size :]
    return argv


def first_nodes(graph: Any, manifest: Any) -> set[str]:
    """The nodes of graph (dbt's networkx graph of a build) marked build_first, and every
    node of graph they wait for."""
    import networkx as nx

    marked = [
        unique_id
        for unique_id in graph.nodes
        if (node := manifest.nodes.get(unique_id)) is not None
        and node.config.meta.get(BUILD_FIRST) is True
    ]
    first = set(marked)
    for unique_id in marked:
        first |= nx.ancestors(graph, unique_id)
    return first


def scores_first(scores: dict[str, int], first: set[str]) -> dict[str, int]:
    """dbt's scores (its graph depth; the lower runs first) with the nodes of `first` ahead
    of every other node and, among themselves, still by depth."""
    if not first:
        return scores
    ahead = max(scores.values(), default=0) + 1
    return {node: score - ahead if node in first else score for node, score in scores.items()}


def install() -> None:
    """Make dbt's builds in this process run the build_first paths first.

    Two changes to dbt's queue: the scores (scores_first), and a hold on handing out nodes
    while every thread is busy. dbt hands a node to its thread pool as soon as it is ready,
    and the pool runs them in the order given: the scores then only order nodes that became
    ready together. Held back, a node ready now waits for a free thread in the queue, where
    the next free thread takes the best-scored one. No thread idles while a node is ready.
    """
    global _installed
    if _installed:
        return
    from dbt.graph.queue import GraphQueue
    from dbt.task.runnable import GraphRunnableTask

    by_depth = GraphQueue._get_scores
    hand_out = GraphQueue.get
    run_queue = GraphRunnableTask.run_queue

    def get_scores(queue: GraphQueue, graph: Any) -> dict[str, int]:
        return scores_first(by_depth(queue, graph), first_nodes(graph, queue.manifest))

    def get(queue: GraphQueue, block: bool = True, timeout: float | None = None) -> Any:
        threads = getattr(queue, _THREADS, None)
        if threads:
            with queue.lock:
                while len(queue.in_progress) >= threads:
                    queue.some_task_done.wait()
        return hand_out(queue, block, timeout)

    def run_queue_on_threads(task: GraphRunnableTask, pool: Any) -> None:
        if task.job_queue is not None and task.config.threads:
            setattr(task.job_queue, _THREADS, task.config.threads)
        run_queue(task, pool)

    GraphQueue._get_scores = get_scores
    GraphQueue.get = get
    GraphRunnableTask.run_queue = run_queue_on_threads
    _installed = True
