"""The `weblogs` command: ingest logs, build the dbt project, query the lakehouse.

`main` builds the parser and runs a command; `commands/` holds one module per command; the
modules beside it are what the commands share: the dbt targets of the profile (`targets`),
running dbt (`dbt`), printing rows (`output`) and holding the warehouse (`warehouse`).
"""

from weblogs.cli.main import main

__all__ = ["main"]
