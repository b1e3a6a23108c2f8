"""The embedded engine: the UDF agrees with Sail's own parsing, and the catalog persists."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_DIR
from weblogs.embedded import catalog, engine
from weblogs.functions import FunctionDefinition, register_function


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory):
    # Its own session: other test files run in this process stop the shared one.
    return engine.spark_session(tmp_path_factory.mktemp("warehouse"), own=True)


def parse_state_definition() -> FunctionDefinition:
    return FunctionDefinition(
        name="parse_state",
        source=(PROJECT_DIR / "python_udfs" / "parse_state.py").read_text(encoding="utf-8"),
        entry_point="parse_state_batches",
        return_type="bigint",
    )


def test_udf_agrees_with_native_parsing_on_every_sample_line(spark, sample_log: Path) -> None:
    lines = sample_log.read_text(encoding="utf-8").splitlines()
    stamps = [match.group(1) for line in lines if (match := re.search(r"\[([^\]]*)\]", line))]
    assert len(stamps) >= 0.99 * len(lines)
    register_function(spark, parse_state_definition())
    spark.createDataFrame([(stamp,) for stamp in stamps], "stamp string").createOrReplaceTempView(
        "stamps"
    )
    row = spark.sql(
        """
        select
            count(*) as stamp_count,
            count(parse_state(stamp)) as parsed_count,
            count_if(not (parse_state(stamp) <=> native_epoch)) as disagreements
        from (
            select
                stamp,
                unix_timestamp(try_to_timestamp(stamp, 'dd/MMM/yyyy:HH:mm:ss Z')) as native_epoch
            from stamps
        )
        """
    ).collect()[0]
    assert row.stamp_count == len(stamps)
    assert row.parsed_count >= 0.99 * len(stamps)
    assert row.disagreements == 0


def test_columns_ddl_keeps_nullability_and_types() -> None:
    schema = {
        "type": "struct",
        "fields": [
            {"name": "id", "type": "long", "nullable": False, "metadata": {}},
            {"name": "code", "type": "integer", "nullable": True, "metadata": {}},
            {"name": "at", "type": "timestamp", "nullable": False, "metadata": {}},
            {"name": "amount", "type": "decimal(10,2)", "nullable": True, "metadata": {}},
            {
                "name": "tags",
                "type": {"type": "array", "elementType": "string", "containsNull": True},
                "nullable": True,
                "metadata": {},
            },
        ],
    }
    assert catalog.columns_ddl(json.dumps(schema)) == (
        "`id` bigint not null, `code` int, `at` timestamp not null, "
        "`amount` decimal(10,2), `tags` array<string>"
    )


def test_purge_refuses_paths_outside_the_warehouse(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(ValueError, match="outside the warehouse"):
        catalog.purge_location(tmp_path / "warehouse", outside)
    assert outside.exists()


def run_python(code: str, warehouse: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={"WEBLOGS_WAREHOUSE": str(warehouse), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_tables_views_and_functions_outlive_the_process(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    definition = parse_state_definition()
    run_python(
        f"""
from weblogs import layout
from weblogs.embedded import catalog
from weblogs.embedded import engine
from weblogs.functions import FunctionDefinition, register_function
warehouse = layout.warehouse_path()
spark = engine.spark_session(warehouse)
spark.sql("create schema if not exists demo")
spark.sql("create table demo.requests (id bigint not null, stamp string) using delta "
          "location '" + str(warehouse / "demo" / "requests") + "'")
spark.sql("insert into demo.requests values (1, '01/Aug/1995:00:00:01 -0400')")
view = ("create or replace view demo.parsed as "
        "select id, parse_state(stamp) as epoch from demo.requests")
register_function(spark, FunctionDefinition(**{definition.__dict__!r}))
catalog.save_function(warehouse, FunctionDefinition(**{definition.__dict__!r}))
spark.sql(view)
catalog.save_view(warehouse, "demo", "parsed", view)
""",
        warehouse,
    )
    output = run_python(
        """
from weblogs import layout
from weblogs.embedded import engine
spark = engine.spark_session(layout.warehouse_path())
print([tuple(row) for row in spark.sql("select * from demo.parsed").collect()])
print([(f.name, f.nullable) for f in spark.table("demo.requests").schema.fields])
""",
        warehouse,
    )
    assert output.splitlines() == ["[(1, 807249601)]", "[('id', False), ('stamp', True)]"]


def test_a_function_registers_in_its_own_session_when_another_one_stopped(
    spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyspark parses a DDL return type through the session it last made active, which may
    # be one that has stopped since (another caller's in this process).
    from pyspark.sql.connect.session import SparkSession

    stopped = engine.spark_session(tmp_path / "other", own=True)
    stopped.stop()
    monkeypatch.setattr(SparkSession, "active", classmethod(lambda cls: stopped))
    register_function(spark, parse_state_definition())
    row = spark.sql("select parse_state('01/Aug/1995:00:00:01 -0400') as epoch").collect()[0]
    assert row.epoch == 807249601


def test_a_table_replaced_with_other_columns_while_it_is_attached(
    spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader's process attaches tables while a build may replace one with other columns:
    # the schema it read no longer matches the newest version when it creates the entry.
    import pyarrow as pa
    from deltalake import write_deltalake

    location = tmp_path / "replaced"
    write_deltalake(str(location), pa.table({"line_encoding": ["utf-8"]}))
    declared = catalog.columns_ddl

    def replaced_after_the_read(schema_json: str) -> str:
        columns = declared(schema_json)
        if "line_encoding" in columns:
            write_deltalake(
                str(location), pa.table({"encoding": ["latin-1"]}),
                mode="overwrite", schema_mode="overwrite",
            )  # fmt: skip
        return columns

    monkeypatch.setattr(catalog, "columns_ddl", replaced_after_the_read)
    assert catalog.attach_table(spark, "readers", "replaced", location)
    assert spark.sql("select * from readers.replaced").collect() == [("latin-1",)]


def test_a_table_is_read_again_only_after_a_new_commit(
    spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A resident build refreshes the catalog before each build: a table without a new
    # commit keeps the schema read before, one replaced with other columns is read again.
    import deltalake
    import pyarrow as pa
    from deltalake import write_deltalake

    location = tmp_path / "kept"
    write_deltalake(str(location), pa.table({"a": [1]}))
    reads: list[str] = []
    loaded = deltalake.DeltaTable

    def counted(path: str, *args: object, **kwargs: object) -> deltalake.DeltaTable:
        reads.append(path)
        return loaded(path, *args, **kwargs)

    monkeypatch.setattr(deltalake, "DeltaTable", counted)
    assert catalog.attach_table(spark, "kept", "t", location)
    assert catalog.attach_table(spark, "kept", "t", location)
    assert reads == [str(location)]
    # An entry the session lost is created again from the schema read before.
    spark.sql("drop table kept.t")
    assert catalog.attach_table(spark, "kept", "t", location)
    assert reads == [str(location)]
    assert spark.sql("select * from kept.t").collect() == [(1,)]
    # Rows appended: a new commit, read again, same columns.
    write_deltalake(str(location), pa.table({"a": [2]}), mode="append")
    assert catalog.attach_table(spark, "kept", "t", location)
    assert len(reads) == 2
    write_deltalake(
        str(location), pa.table({"b": ["x"]}), mode="overwrite", schema_mode="overwrite"
    )
    assert catalog.attach_table(spark, "kept", "t", location)
    assert len(reads) == 3
    assert spark.sql("select * from kept.t").collect() == [("x",)]
