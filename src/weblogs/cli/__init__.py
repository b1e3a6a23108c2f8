"""The `weblogs` command: ingest logs, build the dbt project, query the lakehouse.

`main` builds the parser and runs a command; `commands/` holds one module per command; the
modules beside it are what the commands share: the dbt targets of the profile (`targets`),
running dbt (`dbt`), printing rows (`output`) and holding the warehouse (`warehouse`).
"""

import os

# gRPC's C core writes its own log lines to stderr, e.g. an epoll error while a Ctrl-C tears
# a query's connection down (seen after `weblogs sql` was interrupted); the command reports
# every failure in one line of its own. gRPC reads the setting once, when it is imported.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

from weblogs.cli.main import main

__all__ = ["main"]
