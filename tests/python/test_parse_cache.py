"""The `weblogs` command's parse of the project serves every warehouse: the first build of a
new warehouse starts from it instead of parsing the whole project, and still reads a model
that changed since."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Project
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
