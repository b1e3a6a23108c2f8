"""dbt's adapter test suite on the embedded engine (the sail_delta adapter), second half: what
relations carry beyond their rows (adapter_suite_relations.py: persisted docs, contracts and
constraints, stored failures, clones, columns, seed types), and what the adapter does where
Sail has a gap. The first half is test_adapter_suite_sail.py. `make test` runs every class."""

from __future__ import annotations

import pytest
from adapter_suite import *  # noqa: F403
from adapter_suite import SUITE_WARNINGS
from adapter_suite_relations import *  # noqa: F403
from adapter_suite_sail import *  # noqa: F403
from adapter_suite_sail import SUITE_ENGINE  # noqa: F401  (conftest.py)
from dbt.tests.adapter.dbt_clone import fixtures as clone_fixtures
from dbt.tests.adapter.dbt_clone.test_dbt_clone import BaseCloneNotPossible
from dbt.tests.util import run_dbt_and_capture

# dbt runs in the test process, for minutes: with the end-to-end tests, out of `make unit`.
pytestmark = [pytest.mark.e2e, SUITE_WARNINGS]


class TestCloneMakesViews(BaseCloneNotPossible):
    """Sail has no SHALLOW CLONE: the adapter says so, and dbt clone makes views of the
    state's tables. dbt's own test overrides can_clone_table in the project; here the
    adapter's answer is the one tested."""

    @pytest.fixture(scope="class")
    def macros(self) -> dict[str, str]:
        return {
            "macros.sql": clone_fixtures.macros_sql,
            "infinite_macros.sql": clone_fixtures.infinite_macros_sql,
            "get_schema_name.sql": clone_fixtures.get_schema_name_sql,
        }


class TestGapsStopWithOneLine:
    """What Sail cannot do stops the model with a line saying so and what to use instead,
    before any statement runs."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "documented_table.sql": "{{ config(materialized='table') }} select 1 as id",
            "partition_overwrite.sql": (
                "{{ config(materialized='incremental', incremental_strategy='insert_overwrite',"
                " partition_by='id') }} select 1 as id"
            ),
            "daily_batches.sql": (
                "{{ config(materialized='incremental', incremental_strategy='microbatch',"
                " event_time='event_at', batch_size='day', begin='2024-01-01',"
                " partition_by='event_day') }}"
                " select timestamp '2024-01-01 10:00:00' as event_at,"
                " date '2024-01-01' as event_day"
            ),
            "schema.yml": (
                "models:\n  - name: documented_table\n    description: a table\n"
                "    config:\n      persist_docs: {relation: true}\n"
            ),
        }

    def test_messages(self, project) -> None:
        results, logs = run_dbt_and_capture(["run"], expect_pass=False)
        expected = {
            "documented_table": "persist_docs relation: Sail cannot store a table's comment",
            "partition_overwrite": (
                "incremental_strategy insert_overwrite with partition_by is not available on "
                "sail_delta"
            ),
            "daily_batches": "incremental_strategy microbatch is not available on sail_delta",
        }
        assert {result.node.name: str(result.status) for result in results} == dict.fromkeys(
            expected, "error"
        )
        for text in expected.values():
            assert text in logs
        # Nothing was created for them.
        tables = project.run_sql(f"show tables in {project.test_schema}", fetch="all")
        assert not {row[1] for row in tables} & set(expected)
