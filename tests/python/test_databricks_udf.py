"""On Databricks the parse_state function node becomes a vectorized Python UDF."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from conftest import Project


@pytest.fixture(scope="module")
def databricks_manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`dbt parse` for the databricks target: offline, no connection is opened."""
    workdir = tmp_path_factory.mktemp("databricks")
    project = Project(warehouse=workdir / "warehouse", workdir=workdir)
    project.dbt("parse", "--target", "databricks")
    return json.loads((workdir / "target" / "manifest.json").read_text())


def render_macro(manifest: dict, unique_id: str, *args: object) -> str:
    """Render one of the project's macros with plain Jinja (it uses no dbt context)."""
    source = manifest["macros"][unique_id]["macro_sql"]
    name = manifest["macros"][unique_id]["name"]
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    module = environment.from_string(source).module
    return str(getattr(module, name)(*args))


def test_function_node_renders_as_a_pandas_python_udf(databricks_manifest: dict) -> None:
    node = databricks_manifest["functions"]["function.weblogs.parse_state"]
    assert node["language"] == "python"
    assert "macro.weblogs.databricks__scalar_function_python" in databricks_manifest["macros"]

    function_node = json.loads(json.dumps(node), object_hook=lambda d: type("N", (), d))
    sql = render_macro(
        databricks_manifest,
        "macro.weblogs.databricks_vectorized_python_udf_sql",
        function_node,
        "main.weblogs.parse_state",
    )
    header, body = sql.split("as $$", 1)
    assert " ".join(header.split()) == (
        "create or replace function main.weblogs.parse_state(timestamp_text string) "
        "returns bigint language python parameter style pandas handler 'parse_state_batches'"
    )
    udf_source = Path(node["original_file_path"])
    project_file = Path(__file__).resolve().parents[2] / udf_source
    assert body.strip().removesuffix("$$").strip() == project_file.read_text().strip()
