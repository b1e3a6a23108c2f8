"""The benchmark of weblogs: the pipeline beside the same job written by hand, on the same
input. A development tool beside the project (`make bench`, or `weblogs-bench`), installed by the
development set-up and never imported by the `weblogs` package.

Each variant runs as its own process tree, timed, with its CPU and peak memory sampled and
the machine's load recorded: the pipeline cold, with 1% new lines, with nothing new, through
a running `weblogs run --watch`, and its ingest alone; and the hand-written peers: the lab's
code as written (PySpark on the JVM, the baseline), PySpark with the project's grammar,
DuckDB and a regex lower bound. On Apache Spark (`--engines`), the pipeline on the spark
target and the lab's code on the same Spark, with the server's processes measured. Their
rows are checked, the lab's against the pipeline's line by line.

- ``variants``: the variants, their results, input sizes and shapes;
- ``inputs``: the base logs and their increments;
- ``peers``, ``spark_peers``: the hand-written peers (a child-process entry);
- ``spark_target``: the Spark engines: a server per pipeline, a cluster for the lab's code,
  and their processes;
- ``accounting``: which rows the lab's code and the pipeline each keep, and why;
- ``measure``: time, CPU and peak memory of a process tree, and the machine's load;
- ``pipeline``: the pipeline's variants, run as a user runs them;
- ``reader``: a reader querying a table while builds run (a child-process entry);
- ``harness``: running the variants size by size, checking their rows;
- ``goals``, ``report``: the goals judged, the tables, JSON;
- ``command``: the options of `weblogs-bench` and a run from them.

The package loads nothing itself, so `weblogs-bench --help` answers without loading what the
benchmark runs.
"""
