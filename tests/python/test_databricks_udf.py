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


@pytest.fixture(scope="module")
def databricks_compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dbt compile` for the databricks target, offline: no cache population and no
    introspection, so no connection is opened (the credentials are placeholders)."""
    workdir = tmp_path_factory.mktemp("databricks-compile")
    project = Project(warehouse=workdir / "warehouse", workdir=workdir)
    result = project.dbt(
        "compile", "--target", "databricks", "--no-populate-cache", "--no-introspect"
    )
    # 22 on every target (8 of them the ephemeral drift monitors), plus the Databricks raw layer.
    assert "Found 23 models" in result.stdout
    return workdir / "target"


def test_compile_succeeds_offline(databricks_compiled: Path) -> None:
    manifest = json.loads((databricks_compiled / "manifest.json").read_text())
    compiled = databricks_compiled / "compiled" / "weblogs"
    models = {
        path.stem for path in compiled.glob("models/**/*.sql") if path.parent.suffix != ".yml"
    }
    assert models == {
        "access_log_lines_stream",
        "stg_apache_logs__lines",
        "int_access_requests_deduplicated",
        "int_access_requests_enriched",
        "int_request_tallies_by_batch",
        "network_filter",
        "requests_by_status",
        "access_log_quarantine",
        "access_log_late_arrivals",
        "data_quality_monitors",
        "traffic_by_window",
        "visitors_by_day",
        "requests_by_agent",
        "referring_sites",
        "not_found_paths",
        # The drift monitors, inlined into data_quality_monitors (ephemeral).
        "int_monitored_lines",
        "int_monitored_batches",
        "int_monitored_earlier_requests",
        "int_monitor_quarantine_rate",
        "int_monitor_unregistered_status_share",
        "int_monitor_daily_volume_change",
        "int_monitor_new_methods",
        "int_monitor_new_protocols",
    }
    # The merge models compile to their full-build SQL without asking for the table.
    merge_model = (
        compiled / "models/intermediate/int_access_requests_deduplicated.sql"
    ).read_text()
    assert "and true" in " ".join(merge_model.split())
    nodes = manifest["nodes"]
    for mart in ("network_filter", "requests_by_status", "access_log_quarantine"):
        config = nodes[f"model.weblogs.{mart}"]["config"]
        assert config["file_format"] == "delta"
        assert config["tblproperties"] == {
            "delta.autoOptimize.optimizeWrite": "true",
            "delta.autoOptimize.autoCompact": "true",
        }
    assert nodes["model.weblogs.network_filter"]["config"]["liquid_clustered_by"] == [
        "event_date",
        "site",
    ]
    assert (
        nodes["model.weblogs.int_access_requests_deduplicated"]["config"]["incremental_strategy"]
        == "merge"
    )


def test_raw_layer_is_a_streaming_table_behind_the_source(databricks_compiled: Path) -> None:
    manifest = json.loads((databricks_compiled / "manifest.json").read_text())
    stream = manifest["nodes"]["model.weblogs.access_log_lines_stream"]
    source = manifest["sources"]["source.weblogs.apache_logs.access_log_lines"]
    assert stream["config"]["materialized"] == "streaming_table"
    assert (
        stream["relation_name"]
        == source["relation_name"]
        == "`main`.`weblogs_raw`.`access_log_lines`"
    )
    sql = " ".join(stream["compiled_code"].split())
    assert (
        "from stream read_files( '/Volumes/main/weblogs/landing/', format => 'binaryFile' )" in sql
    )
    assert "`main`.`weblogs`.`line_occurrences`(" in sql
    # Staging runs after the streaming table although it reads bronze through the source.
    staging = manifest["nodes"]["model.weblogs.stg_apache_logs__lines"]
    assert "model.weblogs.access_log_lines_stream" in staging["depends_on"]["nodes"]


def test_both_functions_render_as_pandas_python_udfs(databricks_compiled: Path) -> None:
    manifest = json.loads((databricks_compiled / "manifest.json").read_text())
    expected = {
        "parse_state": "(timestamp_text string) returns bigint language python "
        "parameter style pandas handler 'parse_state_batches'",
        "line_occurrences": "(lines array<string>) returns array<bigint> language python "
        "parameter style pandas handler 'line_occurrences_batches'",
    }
    for name, signature in expected.items():
        node = manifest["functions"][f"function.weblogs.{name}"]
        function_node = json.loads(json.dumps(node), object_hook=lambda d: type("N", (), d))
        sql = render_macro(
            manifest,
            "macro.weblogs.databricks_vectorized_python_udf_sql",
            function_node,
            f"main.weblogs.{name}",
        )
        header = " ".join(sql.split("as $$", 1)[0].split())
        assert header == f"create or replace function main.weblogs.{name}{signature}"


def test_a_function_that_imports_packages_declares_them(databricks_compiled: Path) -> None:
    """classify_user_agent imports ua-parser and the crawler list, which a Databricks
    runtime lacks: the function's ENVIRONMENT names them, pinned."""
    manifest = json.loads((databricks_compiled / "manifest.json").read_text())
    node = manifest["functions"]["function.weblogs.classify_user_agent"]
    function_node = json.loads(json.dumps(node), object_hook=lambda d: type("N", (), d))
    sql = render_macro(
        manifest,
        "macro.weblogs.databricks_vectorized_python_udf_sql",
        function_node,
        "main.weblogs.classify_user_agent",
    )
    header = " ".join(sql.split("as $$", 1)[0].split())
    packages = ["ua-parser==1.0.2", "ua-parser-builtins==202610", "crawler-user-agents==1.67.0"]
    assert header == (
        "create or replace function main.weblogs.classify_user_agent(user_agent string) "
        "returns struct<browser_family:string,os_family:string,device_class:string,"
        f"is_bot:boolean> language python environment (dependencies = '{json.dumps(packages)}', "
        "environment_version = 'None') parameter style pandas "
        "handler 'classify_user_agent_batches'"
    )
    # The models call it by its catalog name, on the distinct agents.
    compiled = databricks_compiled / "compiled" / "weblogs" / "models" / "marts" / "visitors"
    model = " ".join((compiled / "requests_by_agent.sql").read_text().split())
    assert "`main`.`weblogs`.`classify_user_agent`(user_agent) as agent_class" in model
