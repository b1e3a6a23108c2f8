"""`weblogs sql` reads only: every write is refused before it runs, and names resolve in the
models' schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Project
from weblogs.cli.readonly import check_read_only
from weblogs.errors import UsageError

READS = [
    "select count(*) from network_filter",
    "SELECT 1;",
    "  -- a comment first\n select 1",
    "select 'insert into network_filter values (1)' as text",
    'select "drop table x" as text',
    "select `drop` from (select 1 as `drop`)",
    "with recent as (select 1 as n) select * from recent",
    "(select 1) union all (select 2)",
    "values (1), (2)",
    "table network_filter",
    "show tables in weblogs_raw",
    "describe table network_filter",
    "explain select * from network_filter",
    "select replace(endpoint, '/', '-') from network_filter",
    "select 1 /* drop table network_filter */",
]

WRITES = [
    "insert into network_filter select * from network_filter",
    "INSERT OVERWRITE network_filter select * from network_filter",
    "delete from network_filter",
    "drop table network_filter",
    "create table copy_of_filter as select * from network_filter",
    "create or replace view v as select 1",
    "update network_filter set site = 'x'",
    "merge into network_filter t using network_filter s on false when not matched then insert *",
    "truncate table network_filter",
    "alter table network_filter add columns (x int)",
    "with recent as (select 1) insert into network_filter select * from network_filter",
    "from network_filter insert into network_filter select *",
    "explain insert into network_filter select * from network_filter",
    "select 1; drop table network_filter",
    "select 1;\ndelete from network_filter;",
    "/* select */ drop table network_filter",
    "-- select\ndrop table network_filter",
    "select 1 -- comment\r delete from network_filter",
    # A backslash escape or a nested comment, read the other way, ends the string or the
    # comment early: refused unless both readings find one reading statement.
    "select 'it\\'s'; drop table network_filter; -- '",
    "select 1 /* /* */ ; drop table network_filter; /* */",
    "select r'raw\\'; drop table network_filter; --'",
    "set spark.sql.ansi.enabled = false",
    "use weblogs_raw",
    "cache table network_filter",
    "",
    " ; ",
]


# The real command on a built warehouse, one process each, for one of each kind of write.
WRITES_RUN = [
    "insert into network_filter select * from network_filter",
    "delete from network_filter",
    "drop table network_filter",
    "create table copy_of_filter (n int)",
    "create table copy_of_filter as select * from network_filter",
    "select 1; delete from network_filter",
    "with recent as (select 1) insert into network_filter select * from network_filter",
    "/* select */ drop table network_filter",
    "select 'it\\'s'; drop table network_filter; -- '",
]


@pytest.mark.parametrize("sql", READS)
def test_reads_pass_the_check(sql: str) -> None:
    check_read_only(sql)


@pytest.mark.parametrize("sql", WRITES)
def test_writes_and_tricks_are_refused(sql: str) -> None:
    with pytest.raises(UsageError):
        check_read_only(sql)


def warehouse_files(warehouse: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(warehouse)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in warehouse.rglob("*")
        if path.is_file() and path.name != ".run.lock"
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("demo")
    project = Project(warehouse=root / "warehouse", workdir=root)
    project.weblogs("demo", "--lines", "2000", "--demo-dir", str(root))
    return project


def rows(project: Project, sql: str) -> list[dict]:
    output = project.weblogs("sql", sql, "--format", "json").stdout
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.mark.e2e
def test_unqualified_names_are_the_models_tables(demo: Project) -> None:
    unqualified = rows(demo, "select count(*) as n from network_filter")
    qualified = rows(demo, "select count(*) as n from weblogs.network_filter")
    assert unqualified == qualified
    assert unqualified[0]["n"] > 1000
    # Other schemas stay reachable by their qualified names.
    assert rows(demo, "select count(*) as n from weblogs_raw.access_log_lines") == [{"n": 2000}]


@pytest.mark.e2e
def test_a_refused_write_changes_nothing(demo: Project) -> None:
    before_rows = rows(demo, "select count(*) as n from network_filter")
    before_files = warehouse_files(demo.warehouse)
    for sql in WRITES_RUN:
        result = demo.weblogs("sql", sql, check=False)
        assert result.returncode == 2, sql
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("weblogs sql: "), result.stderr
    message = demo.weblogs("sql", WRITES[0], check=False).stderr
    assert "reads only, and INSERT writes" in message
    assert "no write mode" in message and "dbt models" in message
    assert warehouse_files(demo.warehouse) == before_files
    assert rows(demo, "select count(*) as n from network_filter") == before_rows
    assert not list(demo.warehouse.glob("*/x-*"))


@pytest.mark.e2e
def test_an_unknown_table_lists_the_tables_there_are(demo: Project) -> None:
    result = demo.weblogs("sql", "select * from network_filters", check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "network_filters" in lines[0]
    assert "tables in weblogs: " in lines[0] and "network_filter," in lines[0]
    assert "weblogs_raw: access_log_lines, ingest_ledger" in lines[0]


def test_an_unknown_table_in_an_empty_warehouse_says_what_to_do(tmp_path: Path, capsys) -> None:
    from weblogs.cli.main import main

    code = main(["--warehouse", str(tmp_path / "wh"), "sql", "select * from network_filter"])
    assert code == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("weblogs sql: ") and len(error.splitlines()) == 1
    assert "no tables yet: land logs with `weblogs ingest`" in error


@pytest.mark.e2e
def test_ids_print_as_the_hex_of_their_digest(demo: Project) -> None:
    """request_id is the 32 bytes of a SHA-256 digest: each format prints it as Spark's
    hex() does, not as a Python bytes value."""
    query = (
        "select request_id, hex(request_id) as shown from network_filter"
        " order by request_id limit 3"
    )
    shown = rows(demo, query)
    assert len(shown) == 3
    for row in shown:
        assert row["request_id"] == row["shown"] and len(row["shown"]) == 64
    table = demo.weblogs("sql", query).stdout.splitlines()[2:5]
    csv_rows = demo.weblogs("sql", query, "--format", "csv").stdout.splitlines()[1:]
    expected = [[row["shown"], row["shown"]] for row in shown]
    assert [line.split() for line in table] == expected
    assert [line.split(",") for line in csv_rows] == expected
