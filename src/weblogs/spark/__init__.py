"""Apache Spark on this machine: a Spark Connect server with Delta Lake, in local mode or as
the driver of a standalone cluster, and the spark target's tables.

- ``processes``: the JVMs, started in the background, found again, stopped;
- ``jars``: Delta Lake's jars and settings for the server;
- ``cluster``: a standalone master and workers beside the server (`--cluster N`);
- ``server``: `weblogs spark-server start/stop/status`, and a session on it;
- ``tables``: the spark target's Delta tables as `status` and `compact` see them.
"""
