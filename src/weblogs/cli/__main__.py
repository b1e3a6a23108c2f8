"""`python -m weblogs.cli`: the `weblogs` command without its console script."""

from weblogs.cli.main import main

main()
