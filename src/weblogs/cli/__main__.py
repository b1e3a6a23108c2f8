"""`python -m weblogs.cli`: the `weblogs` command without its console script."""

import sys

from weblogs.cli.main import main

sys.exit(main())
