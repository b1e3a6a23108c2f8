"""dbt's tests of what relations carry beyond their rows: persisted docs, contracts and
constraints, stored test failures, clones, columns and seed types, as dbt-spark selects them
for Spark (adapter_suite.py says how)."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapter_suite import NO_SHALLOW_CLONE, NO_TABLE_COMMENTS, engine_gap
from adapter_suite_files import (
    CHILD_MODEL_SQL,
    PARENT_MODEL_SQL,
    PAYMENTS_CSV,
    PAYMENTS_TYPES_YML,
    PERSIST_DOCS_MODELS,
    PERSIST_DOCS_YML,
    spark_contract,
)
from dbt.tests.adapter.constraints import fixtures as constraints
from dbt.tests.adapter.constraints.test_constraints import (
    BaseConstraintQuotedColumn,
    BaseConstraintsRollback,
    BaseConstraintsRuntimeDdlEnforcement,
    BaseIncrementalConstraintsColumnsEqual,
    BaseIncrementalConstraintsRollback,
    BaseIncrementalConstraintsRuntimeDdlEnforcement,
    BaseModelConstraintsRuntimeEnforcement,
    BaseTableConstraintsColumnsEqual,
    BaseViewConstraintsColumnsEqual,
)
from dbt.tests.adapter.dbt_clone.test_dbt_clone import BaseClonePossible
from dbt.tests.adapter.persist_docs.test_persist_docs import (
    BasePersistDocsAllColumnsMissing,
    BasePersistDocsQuotedColumnCaseSensitive,
)
from dbt.tests.adapter.store_test_failures_tests import basic as store_failures_as
from dbt.tests.adapter.store_test_failures_tests.test_store_test_failures import (
    TEST_AUDIT_SCHEMA_SUFFIX,
    StoreTestFailuresBase,
)
from dbt.tests.util import (
    check_relations_equal,
    get_manifest,
    relation_from_name,
    run_dbt,
    run_dbt_and_capture,
)

# --- Persisted docs ---------------------------------------------------------------------


class PersistDocs:
    """Models carry their descriptions and their columns' into the catalog."""

    @pytest.fixture(scope="class")
    def properties(self) -> dict[str, str]:
        return {"schema.yml": PERSIST_DOCS_YML}

    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        docs = {"+persist_docs": {"relation": True, "columns": True}}
        return {"models": {"test": docs}, "seeds": {"test": docs}}

    def assert_comments(self, project, kinds: dict[str, str]) -> None:
        for name, kind in kinds.items():
            rows = project.run_sql(f"describe extended {project.test_schema}.{name}", fetch="all")
            described = {row[0]: row for row in rows}
            expected = f"{kind} description, 'quoted' and \"double\""
            assert described["Comment"][1] == expected, name
            assert described["id"][2] == "one row per id", name
            if "name" in described:
                assert described["name"][2] == "who it is", name


@engine_gap("sail_delta", NO_TABLE_COMMENTS)
class TestPersistDocsDeltaTable(PersistDocs):
    """A seed, a table and an incremental model: COMMENT and ALTER TABLE ... CHANGE COLUMN."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {name: sql for name, sql in PERSIST_DOCS_MODELS.items() if "view" not in name}

    @pytest.fixture(scope="class")
    def seeds(self) -> dict[str, str]:
        return {"seed.csv": "id,name\n1,Alice\n2,Bob\n"}

    def test_table_comments(self, project) -> None:
        run_dbt(["seed"])
        run_dbt(["run"])
        self.assert_comments(
            project,
            {"seed": "Seed", "table_model": "Table", "incremental_model": "Incremental"},
        )


class TestPersistDocsView(PersistDocs):
    """A view's comment and its columns' are part of CREATE VIEW."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return PERSIST_DOCS_MODELS

    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        # The view's parent table keeps no docs, so that this runs where tables cannot.
        return {
            "models": {
                "test": {
                    "+persist_docs": {"relation": True, "columns": True},
                    "table_model": {"+persist_docs": {}},
                    "incremental_model": {"+persist_docs": {}},
                }
            }
        }

    def test_view_comments(self, project) -> None:
        run_dbt(["run"])
        self.assert_comments(project, {"view_model": "View"})


@engine_gap("sail_delta", NO_TABLE_COMMENTS)
class TestPersistDocsMissingColumn:
    """A documented column the table lacks is named in a warning, not sent to the engine."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"table_model.sql": "{{ config(materialized='table') }} select 1 as id"}

    @pytest.fixture(scope="class")
    def properties(self) -> dict[str, str]:
        return {
            "schema.yml": """
models:
  - name: table_model
    columns:
      - name: id
        description: the id
      - name: not_a_column
        description: documented, not built
"""
        }

    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {"models": {"test": {"+persist_docs": {"columns": True}}}}

    def test_missing_column(self, project) -> None:
        _, logs = run_dbt_and_capture(["run"])
        assert (
            "The following columns are specified in the schema but are not present in the "
            "database: not_a_column"
        ) in logs


class TestPersistDocsAllColumnsMissing(BasePersistDocsAllColumnsMissing):
    pass


class TestPersistDocsQuotedColumnCaseSensitive(BasePersistDocsQuotedColumnCaseSensitive):
    pass


# --- Contracts and constraints ----------------------------------------------------------


class SessionCursorTypes:
    """The type names a Spark Connect cursor reports (Spark's simpleString), which dbt's
    contract check prints."""

    @pytest.fixture
    def string_type(self) -> str:
        return "string"

    @pytest.fixture
    def int_type(self) -> str:
        return "int"

    @pytest.fixture
    def data_types(self) -> list[list[str]]:
        # sql_column_value, schema_data_type, error_data_type
        return [
            ["1", "int", "int"],
            ["'1'", "string", "string"],
            ["true", "boolean", "boolean"],
            ["array('a', 'b')", "array<string>", "array<string>"],
            ["array(1, 2)", "array<int>", "array<int>"],
            ["cast(6.45 as decimal(3, 2))", "decimal(3,2)", "decimal(3,2)"],
            ["date '2019-01-01'", "date", "date"],
            ["timestamp '2019-01-01 00:00:00'", "timestamp", "timestamp"],
        ]


def write_model(project, folder: str, name: str, sql: str, properties_yml: str) -> None:
    """A model and its properties, in a folder of the test's project."""
    path = Path(project.project_root) / "models" / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{name}.sql").write_text(sql)
    (path / f"{name}.yml").write_text(properties_yml)


class ContractTypesInOneRun(SessionCursorTypes):
    """dbt's checks of a contract's data types with every type in one dbt run: dbt's own
    tests rewrite one model per type and run dbt once for each (eight runs a test). Here each
    type is a model of its own, each checked on its own result."""

    def write_type_model(self, project, folder: str, index: int, sql_value: str, contract_type):
        name = f"{folder}_{index}"
        properties = constraints.model_data_type_schema_yml.replace("my_model_data_type", name)
        write_model(
            project,
            folder,
            name,
            constraints.my_model_data_type_sql.format(sql_value=sql_value),
            properties.format(data_type=contract_type),
        )
        return name

    def assert_contracts_enforced(self, project, names) -> None:
        manifest = get_manifest(project.project_root)
        for name in names:
            assert manifest.nodes[f"model.test.{name}"].config.contract.enforced is True, name

    def test__constraints_wrong_column_data_types(
        self, project, string_type, int_type, schema_string_type, schema_int_type, data_types
    ) -> None:
        expected = {}
        for index, (sql_value, schema_data_type, error_data_type) in enumerate(data_types):
            # The contract says int, or string for the int column itself.
            int_column = schema_data_type.upper() == schema_int_type.upper()
            name = self.write_type_model(
                project,
                "wrong_type",
                index,
                sql_value,
                schema_string_type if int_column else schema_int_type,
            )
            expected[name] = (
                sql_value,
                [
                    "wrong_data_type_column_name",
                    error_data_type,
                    string_type if int_column else int_type,
                    "data type mismatch",
                ],
            )
        results = run_dbt(["run", "-s", "path:models/wrong_type"], expect_pass=False)
        by_name = {result.node.name: result for result in results}
        assert set(by_name) == set(expected), sorted(by_name)
        self.assert_contracts_enforced(project, expected)
        for name, (sql_value, words) in expected.items():
            message = by_name[name].message or ""
            missing = [
                word for word in words if word not in message and word.upper() not in message
            ]
            assert by_name[name].status == "error", sql_value
            assert not missing, f"{sql_value}: {missing} not in {message}"

    def test__constraints_correct_column_data_types(self, project, data_types) -> None:
        names = {
            self.write_type_model(project, "right_type", index, sql_value, schema_data_type): (
                sql_value
            )
            for index, (sql_value, schema_data_type, _) in enumerate(data_types)
        }
        results = run_dbt(["run", "-s", "path:models/right_type"], expect_pass=None)
        failed = {names[r.node.name]: r.message for r in results if r.status != "success"}
        assert len(results) == len(names), [result.node.name for result in results]
        assert not failed, f"contracts of the right type that failed: {failed}"
        self.assert_contracts_enforced(project, names)


class TestTableConstraintsColumnsEqual(ContractTypesInOneRun, BaseTableConstraintsColumnsEqual):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model_wrong_order.sql": constraints.my_model_wrong_order_sql,
            "my_model_wrong_name.sql": constraints.my_model_wrong_name_sql,
            "constraints_schema.yml": spark_contract(constraints.model_schema_yml),
        }


class TestViewConstraintsColumnsEqual(ContractTypesInOneRun, BaseViewConstraintsColumnsEqual):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model_wrong_order.sql": constraints.my_model_view_wrong_order_sql,
            "my_model_wrong_name.sql": constraints.my_model_view_wrong_name_sql,
            "constraints_schema.yml": spark_contract(constraints.model_schema_yml),
        }


class TestIncrementalConstraintsColumnsEqual(
    ContractTypesInOneRun, BaseIncrementalConstraintsColumnsEqual
):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model_wrong_order.sql": constraints.my_model_incremental_wrong_order_sql,
            "my_model_wrong_name.sql": constraints.my_model_incremental_wrong_name_sql,
            "constraints_schema.yml": spark_contract(constraints.model_schema_yml),
        }


def create_table_sql(adapter_type: str, select: str, not_null: tuple[str, ...] = ()) -> str:
    """The statement written for a contracted Delta table: CREATE OR REPLACE ... AS SELECT.
    On the embedded engine the table is written at its fixed location (the path ends in the
    model's name, so dbt's test reads it as the model's identifier) and may change its
    columns (overwriteSchema), and the `not_null` columns' constraints are added after it;
    on Spark the statement itself holds them, as Delta's table properties."""
    clauses = "using delta"
    if adapter_type == "sail_delta":
        clauses += " options (overwriteSchema 'true') location <model_identifier>"
    elif not_null:
        properties = ", ".join(
            f"'delta.constraints.not_null_{column}' = '{column} is not null'" for column in not_null
        )
        clauses += f" tblproperties ({properties})"
    return f"create or replace table <model_identifier> {clauses} as {select}"


DEPENDS_ON_FK_SELECT = """
select id, color, date_day from (
    -- depends_on: <foreign_key_model_identifier>
    select 'blue' as color, 1 as id, '2019-01-01' as date_day
) as model_subq
"""


class ContractedDelta:
    @pytest.fixture(scope="class")
    def expected_sql(self, adapter_type: str) -> str:
        return create_table_sql(adapter_type, DEPENDS_ON_FK_SELECT, not_null=("id",))


class TestTableConstraintsDdlEnforcement(ContractedDelta, BaseConstraintsRuntimeDdlEnforcement):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model.sql": constraints.my_model_wrong_order_depends_on_fk_sql,
            "foreign_key_model.sql": constraints.foreign_key_model_sql,
            "constraints_schema.yml": spark_contract(constraints.model_fk_constraint_schema_yml),
        }


class TestIncrementalConstraintsDdlEnforcement(
    ContractedDelta, BaseIncrementalConstraintsRuntimeDdlEnforcement
):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model.sql": constraints.my_model_incremental_wrong_order_depends_on_fk_sql,
            "foreign_key_model.sql": constraints.foreign_key_model_sql,
            "constraints_schema.yml": spark_contract(constraints.model_fk_constraint_schema_yml),
        }


class TestModelConstraintsRuntimeEnforcement(
    ContractedDelta, BaseModelConstraintsRuntimeEnforcement
):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model.sql": constraints.my_model_wrong_order_depends_on_fk_sql,
            "foreign_key_model.sql": constraints.foreign_key_model_sql,
            "constraints_schema.yml": spark_contract(constraints.model_fk_constraint_schema_yml),
        }


class TestConstraintQuotedColumn(BaseConstraintQuotedColumn):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model.sql": constraints.my_model_with_quoted_column_name_sql,
            # Spark quotes identifiers with backticks; "from" would be a string.
            "constraints_schema.yml": spark_contract(
                constraints.model_quoted_column_schema_yml
            ).replace('"from"', "`from`"),
        }

    @pytest.fixture(scope="class")
    def expected_sql(self, adapter_type: str) -> str:
        return create_table_sql(
            adapter_type,
            "select id, `from`, date_day from ("
            " select 'blue' as `from`, 1 as id, '2019-01-01' as date_day ) as model_subq",
        )


class ConstraintsRollback:
    """A row that breaks a constraint fails the model. On the embedded engine Delta checks
    constraints after the table is replaced (they are added with ALTER TABLE), so a table
    model keeps the new rows; on Spark the statement that replaces the table holds them and
    fails, so the table keeps its old rows. An incremental model never inserts them."""

    @pytest.fixture(scope="class")
    def expected_error_messages(self) -> list[str]:
        return [
            "DELTA_NEW_CHECK_CONSTRAINT_VIOLATION",
            "DELTA_NEW_NOT_NULL_VIOLATION",
            "DELTA_VIOLATE_CONSTRAINT_WITH_VALUES",
            "DELTA_NOT_NULL_CONSTRAINT_VIOLATED",
            "NOT NULL constraint violated",
            "violate the new CHECK constraint",
            "violate the new NOT NULL constraint",
        ]

    def assert_expected_error_messages(self, error_message, expected_error_messages) -> None:
        # Any one: engines word (and truncate) the violation differently.
        assert any(message in error_message for message in expected_error_messages), error_message


class TestTableConstraintsRollback(ConstraintsRollback, BaseConstraintsRollback):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model.sql": constraints.my_model_sql,
            "constraints_schema.yml": spark_contract(constraints.model_schema_yml),
        }

    @pytest.fixture(scope="class")
    def expected_color(self, adapter_type: str) -> str:
        return "red" if adapter_type == "sail_delta" else "blue"


class TestIncrementalConstraintsRollback(ConstraintsRollback, BaseIncrementalConstraintsRollback):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "my_model.sql": constraints.my_incremental_model_sql,
            "constraints_schema.yml": spark_contract(constraints.model_schema_yml),
        }


# --- Stored test failures ---------------------------------------------------------------


class TestStoreTestFailures(StoreTestFailuresBase):
    """Failures stored in tables of the default format (Delta here)."""

    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {
            "seeds": {"quote_columns": True},
            "data_tests": {"+schema": TEST_AUDIT_SCHEMA_SUFFIX, "+store_failures": True},
        }

    def test_store_and_assert(self, project) -> None:
        self.run_tests_store_one_failure(project)
        self.run_tests_store_failures_and_assert(project)


class TestStoreTestFailuresParquet(StoreTestFailuresBase):
    """Failures and seeds stored as parquet, as dbt-spark stores them on Apache Spark."""

    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {
            "seeds": {"quote_columns": False, "+file_format": "parquet"},
            "data_tests": {
                "+schema": TEST_AUDIT_SCHEMA_SUFFIX,
                "+store_failures": True,
                "+file_format": "parquet",
            },
        }

    def test_store_and_assert(self, project) -> None:
        self.run_tests_store_one_failure(project)
        self.run_tests_store_failures_and_assert(project)


class TestStoreTestFailuresAsInteractions(store_failures_as.StoreTestFailuresAsInteractions):
    pass


class TestStoreTestFailuresAsProjectLevelOff(store_failures_as.StoreTestFailuresAsProjectLevelOff):
    pass


class TestStoreTestFailuresAsProjectLevelView(
    store_failures_as.StoreTestFailuresAsProjectLevelView
):
    pass


class TestStoreTestFailuresAsGeneric(store_failures_as.StoreTestFailuresAsGeneric):
    pass


class TestStoreTestFailuresAsProjectLevelEphemeral(
    store_failures_as.StoreTestFailuresAsProjectLevelEphemeral
):
    pass


class TestStoreTestFailuresAsExceptions(store_failures_as.StoreTestFailuresAsExceptions):
    pass


# --- Clones, columns, seed types --------------------------------------------------------


class TestClonePossible(BaseClonePossible):
    """dbt clone from a saved state: tables as Delta shallow clones, views as views."""

    # Without a state, dbt clone stops on every engine; only the clone itself is a gap.
    @engine_gap("sail_delta", NO_SHALLOW_CLONE)
    def test_can_clone_true(self, project, unique_schema, other_schema) -> None:
        super().test_can_clone_true(project, unique_schema, other_schema)


class TestColumnsInRelation:
    """A model that lists another's columns through the adapter selects the same rows."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"child.sql": CHILD_MODEL_SQL, "parent.sql": PARENT_MODEL_SQL}

    def test_get_columns_in_relation(self, project) -> None:
        run_dbt(["run"])
        check_relations_equal(project.adapter, ["child", "parent"])


class TestSeedColumnTypes:
    """A seed's column_types are the types of its table."""

    @pytest.fixture(scope="class")
    def seeds(self) -> dict[str, str]:
        return {"payments.csv": PAYMENTS_CSV, "payments.yml": PAYMENTS_TYPES_YML}

    def test_column_types(self, project) -> None:
        assert len(run_dbt(["seed"])) == 1
        relation = relation_from_name(project.adapter, "payments")
        with project.adapter.connection_named("__test"):
            columns = project.adapter.get_columns_in_relation(relation)
        assert {column.name: column.dtype for column in columns} == {
            "id": "string",
            "amount": "int",
            "amount_usd": "decimal(20,2)",
            "paid_at": "timestamp",
            "paid_on": "date",
        }
