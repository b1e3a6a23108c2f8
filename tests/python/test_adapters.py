"""Engine glue where dbt looks for it: the adapters' plugin chains, what they share, and a root
project that overrides none of the adapters' macros by accident."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dbt.adapters.factory import get_adapter_type_names, get_include_paths, load_plugin
from dbt_common.exceptions import DbtRuntimeError

from conftest import PROJECT_DIR
from dbt.adapters.session_functions.connections import SessionFunctionsCredentials
from dbt.adapters.session_functions.relation import SessionFunctionRelation

MACRO = re.compile(r"{%-?\s*macro\s+(\w+)")
MATERIALIZATION = re.compile(r"{%-?\s*materialization\s+(\w+)\s*,\s*adapter\s*=\s*'(\w+)'")
ADAPTERS = ("sail_delta", "spark_connect", "databricks")
OUR_PREFIXES = ("sail_delta__", "spark_connect__", "session_functions__")
# Root macros that replace an adapter's on purpose, each for a reason given in the macro:
DELIBERATE_OVERRIDES = {
    # dbt's documented hook for a project's schema naming.
    "generate_schema_name",
    # dbt's hook for the rows a data test reads: the project scopes tests to new batches.
    "get_where_subquery",
    # dbt-databricks 1.12.7 cannot render a vectorized (pandas) Python UDF from config.
    "databricks__scalar_function_python",
}


def macro_names(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.sql"):
        text = path.read_text(encoding="utf-8")
        names.update(MACRO.findall(text))
        names.update(
            f"materialization_{name}_{adapter}" for name, adapter in MATERIALIZATION.findall(text)
        )
    return names


@pytest.fixture(scope="module")
def chains() -> dict[str, list[str]]:
    for adapter in ADAPTERS:
        load_plugin(adapter)
    return {adapter: get_adapter_type_names(adapter) for adapter in ADAPTERS}


def test_both_adapters_put_the_shared_plugin_before_their_engine(chains) -> None:
    assert chains["sail_delta"] == ["sail_delta", "session_functions", "sail", "spark"]
    assert chains["spark_connect"] == ["spark_connect", "session_functions", "spark"]
    assert chains["databricks"] == ["databricks", "spark"]


def test_function_materialization_udf_hook_and_merge_are_written_once(chains) -> None:
    wanted = {
        "materialization_function_session_functions",
        "session_functions__register_python_udfs",
        # Both adapters write Delta: one MERGE (matched keys skipped, bounded by date).
        "session_functions__get_merge_sql",
    }
    holders = {
        path.name
        for adapter in ("sail_delta", "spark_connect")
        for path in get_include_paths(adapter)
        if wanted & macro_names(path)
    }
    assert holders == {"session_functions"}


def test_root_macros_replace_no_adapter_macro_but_the_deliberate_ones(chains) -> None:
    root = macro_names(PROJECT_DIR / "macros")
    included = {
        name
        for adapter in ADAPTERS
        for path in get_include_paths(adapter)
        for name in macro_names(path)
    }
    assert root & included == DELIBERATE_OVERRIDES
    # A root macro with one of our adapters' prefixes would win over the adapter's own.
    assert [name for name in root if name.startswith(OUR_PREFIXES)] == []


def test_session_functions_is_not_a_target_type() -> None:
    with pytest.raises(DbtRuntimeError, match="not a target type: use type sail_delta"):
        SessionFunctionsCredentials(schema="weblogs", host="127.0.0.1", method="session")


def test_a_session_function_renders_unqualified() -> None:
    function = SessionFunctionRelation.create(
        schema="weblogs", identifier="parse_state", type="function"
    )
    table = SessionFunctionRelation.create(schema="weblogs", identifier="lines", type="table")
    assert function.render() == "parse_state"
    assert table.render() == "weblogs.lines"
