"""The `weblogs` command's parse of the project serves every warehouse: the first build of a
new warehouse starts from it instead of parsing the whole project, and still reads a model
that changed since."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import Project
from weblogs.cli import parse_cache
from weblogs.generate import write_log

FULL_PARSE = "Starting full parse"
MARKER = "-- changed after the first warehouse's build"


@pytest.mark.e2e
def test_a_new_warehouse_starts_from_the_shared_parse(
    project_copy: Project, tmp_path: Path
) -> None:
    first = project_copy
    second = Project(
        warehouse=tmp_path / "second" / "warehouse",
        workdir=tmp_path / "second" / "work",
        project_dir=first.project_dir,
    )
    second.workdir.mkdir(parents=True)
    log = write_log(tmp_path / "logs" / "access.log", 300, seed=5)
    for project in (first, second):
        project.weblogs("ingest", str(log), "--settle-seconds", "0")

    assert FULL_PARSE in first.weblogs("build").stdout
    assert (first.project_dir / "target" / "partial_parse.msgpack").is_file()

    model = first.project_dir / "models" / "marts" / "requests_by_status.sql"
    model.write_text(model.read_text(encoding="utf-8") + f"\n{MARKER}\n", encoding="utf-8")
    built = second.weblogs("build")
    assert FULL_PARSE not in built.stdout
    compiled = second.workdir / "target" / "compiled" / "weblogs" / "models" / "marts"
    assert MARKER in (compiled / "requests_by_status.sql").read_text(encoding="utf-8")
    assert second.weblogs("sql", "select count(*) as n from requests_by_status").returncode == 0


def test_each_set_of_vars_and_target_has_its_own_parse(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBT_PROJECT_DIR", str(tmp_path))
    plain = parse_cache.shared_parse_file(["build"])
    assert plain == tmp_path / "target" / "partial_parse.msgpack"
    warn = parse_cache.shared_parse_file(["build", "--vars", "{dq_monitor_severity: warn}"])
    assert warn == parse_cache.shared_parse_file(["test", "--vars={dq_monitor_severity: warn}"])
    other = parse_cache.shared_parse_file(["build", "--vars", "{dq_monitor_severity: error}"])
    spark = parse_cache.shared_parse_file(["build", "--target", "spark"])
    assert len({plain, warn, other, spark}) == 4


def test_a_kept_parse_replaces_the_oldest_beyond_the_limit(tmp_path: Path) -> None:
    folder = tmp_path / "target"
    folder.mkdir()
    for number in range(parse_cache.KEPT_PARSES):
        older = folder / f"partial_parse-{number}.msgpack"
        older.write_bytes(b"old")
        os.utime(older, ns=(number * 10**9, number * 10**9))
    own = tmp_path / "warehouse" / parse_cache.PARSE_FILE
    own.parent.mkdir()
    own.write_bytes(b"new")
    parse_cache.keep(own, folder / "partial_parse-new.msgpack")
    kept = sorted(path.name for path in folder.iterdir())
    assert len(kept) == parse_cache.KEPT_PARSES
    assert "partial_parse-new.msgpack" in kept and "partial_parse-0.msgpack" not in kept
    assert (folder / "partial_parse-new.msgpack").read_bytes() == b"new"
