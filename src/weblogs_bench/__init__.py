"""The benchmark of weblogs: the pipeline beside the same job written by hand, on the same
input. A tool of its own, installed with the project but not part of `weblogs`.

Each variant runs as its own process tree, timed and with its peak memory sampled:
the pipeline cold, warm (+1%) and with nothing new, and three hand-written peers
(PySpark on the JVM, DuckDB, and a regex lower bound). All must keep the same rows.

- ``variants``: the variants, their results, input sizes;
- ``peers``: the hand-written peers (a child-process entry);
- ``memory``: time and peak memory of a process tree;
- ``harness``: preparing input, running the variants, checking they agree;
- ``report``: the table, the scaling fit, the targets, JSON;
- ``command``: the options of `weblogs bench` and a run from them.
"""

from weblogs_bench.command import add_arguments, command

__all__ = ["add_arguments", "command"]
