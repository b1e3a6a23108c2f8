"""What a build knows of the builds before it, so the next one pays only for what is new.

- ``state``: the batch each table is built and tested through, and what the last complete
  build was made from;
- ``fingerprint``: everything besides the data that the tables depend on;
- ``up_to_date``: whether a build would have nothing to do;
- ``slices``: a long backlog cut into slices of whole batches;
- ``seeds``: which file each seed table holds, so an unchanged seed is not loaded again;
- ``run_log``: the audit log of every model and seed run, and line-to-row latency.

The adapters' hooks write these records (on-run-start and on-run-end); the `weblogs`
commands read them. Beside them, ``order``: which nodes the builds of the `weblogs`
command run first.
"""
