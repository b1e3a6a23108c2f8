"""The embedded engine: Sail in the process, with a catalog that outlives it.

- ``engine``: one Sail Spark Connect server per process, and sessions on it;
- ``catalog``: the session catalog restored from the warehouse folder (tables, views,
  Python functions), since Sail keeps its own in memory only.
"""
