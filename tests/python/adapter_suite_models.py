"""dbt's tests of materializations, snapshots, commands and incremental models (strategies,
schema changes, predicates, keys), as dbt-spark selects them for Spark (adapter_suite.py
says how)."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapter_suite import NO_PARTITION_WRITES, engine_gap
from adapter_suite_files import (
    BAD_STRATEGY_MODELS,
    DELTA_STRATEGY_MODELS,
    EXPECTED_APPEND_CSV,
    EXPECTED_OVERWRITE_CSV,
    EXPECTED_PARTIAL_UPSERT_CSV,
    EXPECTED_PREDICATES_CSV,
    EXPECTED_UPSERT_CSV,
    INSERT_OVERWRITE_MODELS,
    MICROBATCH_PARQUET_SQL,
    PARTITION_OVERWRITE_MODELS,
    PREDICATES_MODEL_SQL,
    SPECIAL_CHARS_MODELS,
)
from dbt.tests.adapter.basic.test_adapter_methods import BaseAdapterMethod
from dbt.tests.adapter.basic.test_base import BaseSimpleMaterializations
from dbt.tests.adapter.basic.test_empty import BaseEmpty
from dbt.tests.adapter.basic.test_ephemeral import BaseEphemeral
from dbt.tests.adapter.basic.test_generic_tests import BaseGenericTests
from dbt.tests.adapter.basic.test_incremental import BaseIncremental
from dbt.tests.adapter.basic.test_singular_tests import BaseSingularTests
from dbt.tests.adapter.basic.test_singular_tests_ephemeral import BaseSingularTestsEphemeral
from dbt.tests.adapter.basic.test_snapshot_check_cols import BaseSnapshotCheckCols
from dbt.tests.adapter.basic.test_snapshot_timestamp import BaseSnapshotTimestamp
from dbt.tests.adapter.dbt_show.test_dbt_show import BaseShowLimit, BaseShowSqlHeader
from dbt.tests.adapter.empty.test_empty import BaseTestEmpty, BaseTestEmptyInlineSourceRef
from dbt.tests.adapter.incremental.test_incremental_merge_exclude_columns import (
    BaseMergeExcludeColumns,
)
from dbt.tests.adapter.incremental.test_incremental_microbatch import BaseMicrobatch
from dbt.tests.adapter.incremental.test_incremental_on_schema_change import (
    BaseIncrementalOnSchemaChangeSetup,
)
from dbt.tests.adapter.incremental.test_incremental_predicates import BaseIncrementalPredicates
from dbt.tests.adapter.incremental.test_incremental_unique_id import BaseIncrementalUniqueKey
from dbt.tests.adapter.simple_seed.test_seed import BaseTestEmptySeed, SeedConfigBase
from dbt.tests.adapter.unit_testing import test_types as unit_types
from dbt.tests.adapter.unit_testing.test_case_insensitivity import BaseUnitTestCaseInsensivity
from dbt.tests.adapter.unit_testing.test_invalid_input import BaseUnitTestInvalidInput
from dbt.tests.adapter.unit_testing.test_types import BaseUnitTestingTypes
from dbt.tests.util import check_relations_equal, get_manifest, run_dbt

# --- The basic suite --------------------------------------------------------------------


class TestSimpleMaterializations(BaseSimpleMaterializations):
    pass


class TestSingularTests(BaseSingularTests):
    pass


class TestSingularTestsEphemeral(BaseSingularTestsEphemeral):
    pass


class TestEmpty(BaseEmpty):
    pass


class TestEphemeral(BaseEphemeral):
    pass


class TestIncremental(BaseIncremental):
    pass


class TestGenericTests(BaseGenericTests):
    pass


class TestSnapshotCheckCols(BaseSnapshotCheckCols):
    """No file_format set: both adapters snapshot into Delta by default."""


class TestSnapshotTimestamp(BaseSnapshotTimestamp):
    """No file_format set, as above."""


class TestAdapterMethod(BaseAdapterMethod):
    pass


class TestDeltaByDefault:
    """A table, an incremental model merging on a key, a seed and a data test's stored
    failures that name no file format are Delta tables; the manifest keeps the config the
    project wrote (no file format)."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "plain_table.sql": "{{ config(materialized='table') }} select 1 as id",
            "merged.sql": (
                "{{ config(materialized='incremental', incremental_strategy='merge',"
                " unique_key='id') }} select 1 as id, 'x' as label"
            ),
            "schema.yml": (
                "models:\n  - name: plain_table\n    columns:\n      - name: id\n"
                "        data_tests:\n          - accepted_values:\n"
                "              arguments: {values: [2]}\n"
                "              config: {store_failures: true}\n"
            ),
        }

    @pytest.fixture(scope="class")
    def seeds(self) -> dict[str, str]:
        return {"plain_seed.csv": "id\n1\n"}

    def test_delta_by_default(self, project) -> None:
        run_dbt(["seed"])
        run_dbt(["run"])
        run_dbt(["run"])  # the merge runs: parquet would have been refused
        results = run_dbt(["test"], expect_pass=False)
        failures = results[0].node.relation_name
        for relation in (
            f"{project.test_schema}.plain_table",
            f"{project.test_schema}.merged",
            f"{project.test_schema}.plain_seed",
            failures,
        ):
            described = project.run_sql(f"describe extended {relation}", fetch="all")
            assert {row[0]: row[1] for row in described}["Provider"] == "delta", relation
        manifest = get_manifest(project.project_root)
        for node in manifest.nodes.values():
            assert "file_format" not in node.config._extra, node.unique_id


# --- Commands: --empty, show, seeds, unit tests -----------------------------------------


class TestEmptyFlag(BaseTestEmpty):
    pass


class TestEmptyInlineSourceRef(BaseTestEmptyInlineSourceRef):
    pass


class TestShowLimit(BaseShowLimit):
    pass


class TestShowSqlHeader(BaseShowSqlHeader):
    pass


class TestEmptySeed(BaseTestEmptySeed):
    pass


class TestUnitTestingTypes(BaseUnitTestingTypes):
    """Each type is a model, its upstream and its unit test of their own, all run at once:
    dbt's own test rewrites one model per type and runs dbt twice for each."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {}

    def test_unit_test_data_type(self, project, data_types) -> None:
        folder = Path(project.project_root) / "models" / "types"
        folder.mkdir()
        cases = {}
        for index, (sql_value, yaml_value) in enumerate(data_types):
            upstream, model = f"upstream_{index}", f"typed_{index}"
            unit_test = unit_types.test_my_model_yml.format(yaml_value=yaml_value)
            unit_test = unit_test.replace("my_upstream_model", upstream)
            unit_test = unit_test.replace("test_my_model", f"test_{model}")
            unit_test = unit_test.replace("model: my_model", f"model: {model}")
            (folder / f"{upstream}.sql").write_text(
                unit_types.my_upstream_model_sql.format(sql_value=sql_value)
            )
            (folder / f"{model}.sql").write_text(
                unit_types.my_model_sql.replace("my_upstream_model", upstream)
            )
            (folder / f"{model}.yml").write_text(unit_test)
            cases[f"test_{model}"] = sql_value
        # The upstream tables first: a unit test takes its input's column types from them.
        assert len(run_dbt(["run", "--select", "upstream_*"])) == len(cases)
        results = run_dbt(["test", "--select", "typed_*"], expect_pass=None)
        outcomes = {result.node.name: str(result.status) for result in results}
        assert set(outcomes) == set(cases), outcomes
        failed = [cases[name] for name, status in outcomes.items() if status != "pass"]
        assert not failed, f"unit tests failed on {failed}"

    @pytest.fixture
    def data_types(self) -> list[list[str]]:
        # Spark SQL literals and how a unit test's YAML writes the same value.
        return [
            ["1", "1"],
            ["2.5", "2.5"],
            ["'12345'", "12345"],
            ["'text'", "text"],
            ["false", "false"],
            ["date '2020-02-29'", "2020-02-29"],
            ["timestamp '2013-11-03 00:00:00'", "2013-11-03 00:00:00"],
            ["array(4, 5, 6)", "'array(4, 5, 6)'"],
            ["map('k', 'v')", """'map("k", "v")'"""],
            ['named_struct("x", 1, "y", 2)', """'named_struct("x", 1, "y", 2)'"""],
        ]


class TestUnitTestCaseInsensitivity(BaseUnitTestCaseInsensivity):
    pass


class TestUnitTestInvalidInput(BaseUnitTestInvalidInput):
    pass


# --- Incremental strategies -------------------------------------------------------------


class IncrementalStrategies(SeedConfigBase):
    """Each model takes two rows, then two more (one of them a new version of a stored id),
    and is compared with the rows its strategy should leave."""

    @pytest.fixture(scope="class")
    def seeds(self) -> dict[str, str]:
        return {
            "expected_append.csv": EXPECTED_APPEND_CSV,
            "expected_overwrite.csv": EXPECTED_OVERWRITE_CSV,
            "expected_upsert.csv": EXPECTED_UPSERT_CSV,
            "expected_partial_upsert.csv": EXPECTED_PARTIAL_UPSERT_CSV,
        }

    def seed_and_run_twice(self) -> None:
        run_dbt(["seed"])
        run_dbt(["run"])
        run_dbt(["run"])


class TestInsertOverwrite(IncrementalStrategies):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return INSERT_OVERWRITE_MODELS

    def test_insert_overwrite(self, project) -> None:
        self.seed_and_run_twice()
        check_relations_equal(project.adapter, ["overwrite_whole", "expected_overwrite"])


@engine_gap("sail_delta", NO_PARTITION_WRITES)
class TestInsertOverwritePartitions(IncrementalStrategies):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return PARTITION_OVERWRITE_MODELS

    def test_insert_overwrite_partitions(self, project) -> None:
        self.seed_and_run_twice()
        check_relations_equal(project.adapter, ["overwrite_partitions", "expected_upsert"])


class TestDeltaStrategies(IncrementalStrategies):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return DELTA_STRATEGY_MODELS

    def test_delta_strategies(self, project) -> None:
        self.seed_and_run_twice()
        check_relations_equal(project.adapter, ["default_strategy", "expected_append"])
        check_relations_equal(project.adapter, ["append_delta", "expected_append"])
        check_relations_equal(project.adapter, ["merge_without_key", "expected_append"])
        check_relations_equal(project.adapter, ["merge_on_id", "expected_upsert"])
        check_relations_equal(project.adapter, ["merge_some_columns", "expected_partial_upsert"])


class TestBadStrategies(IncrementalStrategies):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return BAD_STRATEGY_MODELS

    def test_bad_strategies(self, project) -> None:
        results = run_dbt(["run"], expect_pass=False)
        assert len(results) == len(BAD_STRATEGY_MODELS)
        for result in results:
            assert result.status == "error"
            assert "Compilation Error in model" in result.message


@engine_gap("sail_delta", NO_PARTITION_WRITES)
class TestMicrobatch(BaseMicrobatch):
    @pytest.fixture(scope="class")
    def microbatch_model_sql(self) -> str:
        return MICROBATCH_PARQUET_SQL


# --- Incremental models: schema changes, predicates, keys -------------------------------


class OnSchemaChange(BaseIncrementalOnSchemaChangeSetup):
    """dbt's on_schema_change models, run twice and compared with their expected tables."""

    def test_run_incremental_ignore(self, project) -> None:
        self.run_twice_and_assert(
            "model_a incremental_ignore incremental_ignore_target",
            "incremental_ignore",
            "incremental_ignore_target",
            project,
        )

    def test_run_incremental_fail_on_schema_change(self, project) -> None:
        run_dbt(["run", "--select", "model_a incremental_fail", "--full-refresh"])
        results = run_dbt(["run", "--select", "model_a incremental_fail"], expect_pass=False)
        failed = [result for result in results if result.node.name == "incremental_fail"]
        assert "Compilation Error" in failed[0].message


class TestAppendOnSchemaChange(OnSchemaChange):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {"models": {"+incremental_strategy": "append"}}


@engine_gap("sail_delta", NO_PARTITION_WRITES)
class TestInsertOverwriteOnSchemaChange(OnSchemaChange):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {
            "models": {
                "+file_format": "parquet",
                "+partition_by": "id",
                "+incremental_strategy": "insert_overwrite",
            }
        }


class TestDeltaOnSchemaChange(BaseIncrementalOnSchemaChangeSetup):
    """Delta takes new columns; it cannot drop one, which dbt-spark refuses before running."""

    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {"models": {"+incremental_strategy": "merge", "+unique_key": "id"}}

    def test_run_incremental_append_new_columns(self, project) -> None:
        self.run_incremental_append_new_columns(project)

    def test_run_incremental_sync_all_columns(self, project) -> None:
        for model in ("incremental_sync_all_columns", "incremental_sync_remove_only"):
            run_dbt(["run", "--select", f"model_a {model}", "--full-refresh"])
            results = run_dbt(["run", "--select", f"model_a {model}"], expect_pass=False)
            failed = [result for result in results if result.node.name == model]
            assert "Compilation Error" in failed[0].message


class TestAppendOnSchemaChangeSpecialChars(BaseIncrementalOnSchemaChangeSetup):
    """New columns named `select` and `field-with-dash` are added, quoted."""

    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {"models": {"+incremental_strategy": "append"}}

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return SPECIAL_CHARS_MODELS

    def test_append_new_quoted_columns(self, project) -> None:
        self.run_twice_and_assert(
            "model_special incremental_special incremental_special_target",
            "incremental_special",
            "incremental_special_target",
            project,
        )


class IncrementalPredicates(BaseIncrementalPredicates):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"delete_insert_incremental_predicates.sql": PREDICATES_MODEL_SQL}

    @pytest.fixture(scope="class")
    def seeds(self) -> dict[str, str]:
        return {"expected_delete_insert_incremental_predicates.csv": EXPECTED_PREDICATES_CSV}


class TestIncrementalPredicatesMerge(IncrementalPredicates):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {
            "models": {
                "+incremental_predicates": ["dbt_internal_dest.id != 2"],
                "+incremental_strategy": "merge",
            }
        }


class TestPredicatesMerge(IncrementalPredicates):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {
            "models": {
                "+predicates": ["dbt_internal_dest.id != 2"],
                "+incremental_strategy": "merge",
            }
        }


class TestUniqueKey(BaseIncrementalUniqueKey):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {"models": {"+incremental_strategy": "merge"}}


class TestMergeExcludeColumns(BaseMergeExcludeColumns):
    pass
