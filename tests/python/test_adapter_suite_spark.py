"""dbt's adapter test suite on Apache Spark with Delta Lake (the spark_connect adapter, on one
local-mode Spark Connect server for the whole file): a subset of the selection.

On Spark every statement is a round trip to the JVM and a Delta commit: the whole selection
took 66 minutes there on a busy two-core machine, against 8 on the embedded engine. The
subset is what this project changes on Spark, or what dbt-spark never runs on Apache Spark:

- the project's adapter code: the Delta default (tables, snapshots), dateadd and split_part,
  the Delta merge, not_null as a CHECK constraint, the seed loader, the catalog's columns
  for `dbt docs generate`, and the clone of a table cloned before;
- Delta features dbt-spark tests on Databricks only: snapshots, merge strategies, schema
  changes, constraints, persisted docs, shallow clones.

dbt-spark's own macros and materializations on plain Apache Spark (arrays, casts, hashes,
types, unit tests, --empty, show, ephemeral models, stored failures, ...) are left to the
embedded engine's run of the whole selection (test_adapter_suite_sail*.py) and to dbt-spark's
CI, which runs them on Apache Spark. `make test` runs every class of the file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from adapter_suite import *  # noqa: F403
from adapter_suite import SUITE_WARNINGS
from adapter_suite_macros import (
    TestDateAdd,
    TestDateAndStringMacroAnswers,
    TestDateSpine,
    TestLastDay,
    TestSplitPart,
)
from adapter_suite_models import (
    TestDeltaByDefault,
    TestDeltaOnSchemaChange,
    TestDeltaStrategies,
    TestSimpleMaterializations,
    TestSnapshotTimestamp,
)
from adapter_suite_relations import (
    TestClonePossible,
    TestPersistDocsDeltaTable,
    TestSeedColumnTypes,
    TestTableConstraintsDdlEnforcement,
    TestTableConstraintsRollback,
)
from adapter_suite_shared import shared_build  # noqa: F401  (a fixture)

from conftest import Project
from dbt.adapters.spark_connect.connections import close_sessions
from weblogs.embedded import engine as embedded_engine
from weblogs.spark import server as spark_server

pytestmark = [pytest.mark.spark, SUITE_WARNINGS]

SUITE_ENGINE = "spark_connect"

# The classes pytest collects here.
SELECTED = (
    TestClonePossible,
    TestDeltaByDefault,
    TestDateAdd,
    TestDateAndStringMacroAnswers,
    TestDateSpine,
    TestDeltaOnSchemaChange,
    TestDeltaStrategies,
    TestLastDay,
    TestPersistDocsDeltaTable,
    TestSeedColumnTypes,
    TestSimpleMaterializations,
    TestSnapshotTimestamp,
    TestSplitPart,
    TestTableConstraintsDdlEnforcement,
    TestTableConstraintsRollback,
)


@pytest.fixture(scope="module")
def spark_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A local-mode Spark Connect server with Delta Lake, for every class of the file."""
    root = tmp_path_factory.mktemp("suite-spark")
    (root / "work").mkdir()
    # A session on the embedded engine first, as a test worker has after the embedded
    # engine's files: the spark_connect adapter must still talk to its own server.
    embedded_engine.spark_session(root / "embedded")
    server = Project(warehouse=root / "warehouse", workdir=root / "work", timeout=900)
    try:
        server.weblogs("spark-server", "start", "--port", "0")
        state = spark_server.status(server.warehouse)
        assert state is not None
        yield state.port
    finally:
        # dbt's session first: left open, pyspark retries releasing it at interpreter exit
        # for minutes once the server is gone.
        close_sessions()
        spark_server.stop(server.warehouse)
    assert spark_server.status(server.warehouse) is None


@pytest.fixture(scope="module")
def suite_target(spark_port: int) -> dict:
    return {"type": "spark_connect", "host": spark_server.HOST, "port": spark_port, "threads": 4}


@pytest.fixture(scope="class")
def dbt_profile_target(suite_target: dict) -> dict:
    return dict(suite_target)
