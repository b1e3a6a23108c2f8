"""dbt's own adapter tests (the dbt-tests-adapter package) on the project's two adapters: the
pytest plumbing they share (a test helper).

The selection (adapter_suite_macros.py, adapter_suite_models.py) is what dbt-spark's own
functional suite runs for Apache Spark: every test class it runs on one of its Apache Spark
profiles (`apache_spark`, a Thrift server, or `spark_session`, an in-process session), and
those it skips there only because that Spark has no Delta Lake (snapshots, merge,
constraints, Delta's persisted docs, clones), since both engines here write Delta. Left out
as dbt-spark leaves them out for Apache Spark: grants and Python models (Databricks
features), query timeouts (its Thrift connections only), `datediff` ("too much SQL" for a
local Spark), `dbt show`'s double-limit message and the case-mismatch persist-docs test.
Left out because the project's dbt-core (1.11) predates them: `dbt seed --empty`.
Added: `date_spine` and a class of the project's own with exact answers of the date and
string macros (adapter_suite_macros.py).

Where dbt-spark adapts a test to Spark's dialect (column types of seeds, SQL literals of unit
tests and contracts, `listagg` without ORDER BY, Delta's schema changes), the classes do it
with fixtures of their own (adapter_suite_files.py). A class an engine cannot pass is
marked by `engine_gap`, which names the gap: an expected failure on that engine.
docs/targets.md lists them.

A test module imports everything from here and from the selection modules, and defines
`suite_target` (its engine's profile target, for the module) and `dbt_profile_target`,
and SUITE_ENGINE (the adapter type); `make test` runs every class. The classes that only
build and compare share one project per module (adapter_suite_shared.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from dbt.tests.adapter.basic.test_empty import BaseEmpty
from dbt.tests.adapter.dbt_clone.test_dbt_clone import BaseClone
from dbt.tests.fixtures.project import *  # noqa: F403  (dbt's project fixtures)

# Not a test class, though pytest would collect it by its name.
del TestProcessingException  # noqa: F821

# dbt-tests-adapter declares its class-scoped fixtures as methods, which pytest 9 warns of.
SUITE_WARNINGS = pytest.mark.filterwarnings(
    "ignore:Class-scoped fixtures defined as instance methods"
)

# The gaps of an engine that fail a test (docs/targets.md lists them).
NO_PARTITION_WRITES = (
    "Sail cannot write into a partition (INSERT OVERWRITE ... PARTITION, partitionOverwriteMode)"
)
NO_TABLE_COMMENTS = (
    "Sail cannot store a table's comment or its columns' (no COMMENT in CREATE TABLE AS SELECT, "
    "no ALTER TABLE ... CHANGE COLUMN ... COMMENT)"
)
NO_SHALLOW_CLONE = "Sail has no SHALLOW CLONE (dbt clone makes views of the state's tables)"


def engine_gap(engine: str, gap: str) -> pytest.MarkDecorator:
    """Mark a test class that `engine` (an adapter type) cannot pass, for the gap named: on that
    engine it is an expected failure, a strict one (conftest.py), so that a gap that closes
    is noticed."""
    return pytest.mark.engine_gap(engine=engine, gap=gap)


# dbt's classes that read target/manifest.json or run_results.json: a clone's saved state,
# --empty's results.
READS_JSON_ARTIFACTS = (BaseClone, BaseEmpty)


@pytest.fixture(scope="class", autouse=True)
def json_artifacts(request: pytest.FixtureRequest) -> Iterator[None]:
    """dbt without manifest.json and run_results.json, unless the class reads them: the
    suite runs dbt about 250 times, and writing them took a seventh of its CPU time (28 s
    against 24 s of CPU for three classes, busy). The partial-parse file that dbt's tests
    read the manifest from is written either way."""
    if request.cls is not None and issubclass(request.cls, READS_JSON_ARTIFACTS):
        yield
        return
    before = os.environ.get("DBT_WRITE_JSON")
    os.environ["DBT_WRITE_JSON"] = "false"
    yield
    if before is None:
        del os.environ["DBT_WRITE_JSON"]
    else:
        os.environ["DBT_WRITE_JSON"] = before


@pytest.fixture(scope="class")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """dbt's logs in a temporary folder (dbt's own fixture writes them into the repository)."""
    path = str(tmp_path_factory.mktemp("dbt-logs"))
    os.environ["DBT_LOG_PATH"] = path
    yield path
    del os.environ["DBT_LOG_PATH"]


@pytest.fixture(scope="class")
def adapter_type(dbt_profile_target: dict) -> str:
    return dbt_profile_target["type"]
