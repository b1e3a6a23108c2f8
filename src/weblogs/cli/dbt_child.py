"""`python -m weblogs.cli.dbt_child <dbt arguments>`: dbt as the child process of
`weblogs run`, reporting errors and Ctrl-C as the `weblogs` command does (exit 130 on Ctrl-C,
silently: the parent says it in one line)."""

from __future__ import annotations

import sys

from weblogs.cli.dbt import call_dbt
from weblogs.cli.errors import UsageError
from weblogs.cli.main import leave


def main(args: list[str]) -> int:
    try:
        return 0 if call_dbt(args).success else 1
    except KeyboardInterrupt:
        return 130
    except UsageError as error:
        print(f"weblogs: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    # Without the interpreter's teardown, as the `weblogs` command ends (cli.main.leave).
    leave(main(sys.argv[1:]))
