"""dbt's adapter test suite on the embedded engine (the sail_delta adapter), first half: the
cross-database macros and data types (adapter_suite_macros.py; those that only build and
compare share one project, adapter_suite_shared.py) and the materializations, commands and
incremental models (adapter_suite_models.py). The second half, relations, is in
test_adapter_suite_sail_relations.py. `make test` runs every class."""

from __future__ import annotations

import pytest
from adapter_suite import *  # noqa: F403
from adapter_suite import SUITE_WARNINGS
from adapter_suite_macros import *  # noqa: F403
from adapter_suite_models import *  # noqa: F403
from adapter_suite_sail import *  # noqa: F403
from adapter_suite_sail import SUITE_ENGINE  # noqa: F401  (conftest.py)
from adapter_suite_shared import shared_build  # noqa: F401  (a fixture)

# dbt runs in the test process, for minutes: with the end-to-end tests, out of `make unit`.
pytestmark = [pytest.mark.e2e, SUITE_WARNINGS]
