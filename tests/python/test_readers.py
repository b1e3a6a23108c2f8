"""Readers during builds: a query on any published table or view, from another process,
returns the old or the new version of it, never an error or half a table, through an
incremental build, a full refresh and a change of a table's columns."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_pipeline import LOW_COVERAGE

from conftest import Project
from weblogs import layout
from weblogs.generate import write_log

READER = Path(__file__).with_name("reader_loop.py")
QUARANTINE_MODEL = Path("models") / "marts" / "access_log_quarantine.sql"


@dataclass
class Step:
    """One change to the warehouse while the readers run, and the row counts after it."""

    name: str
    start: float = 0.0
    end: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def current_counts(project: Project) -> dict[str, int]:
    """Rows of every table (its newest Delta version) and view, read when nothing runs."""
    from deltalake import DeltaTable

    counts = {
        f"{schema}.{table}": DeltaTable(str(location)).to_pyarrow_dataset().count_rows()
        for schema, table, location in layout.delta_tables(project.warehouse)
    }
    views = sorted(path.stem for path in (project.warehouse / "_catalog" / "views").glob("*.sql"))
    output = project.weblogs("sql", counting_query(views), "--format", "json").stdout
    counts.update({row["name"]: row["n"] for row in map(json.loads, output.splitlines()) if row})
    return counts


def counting_query(relations: list[str]) -> str:
    return " union all ".join(
        f"select '{name}' as name, count(*) as n from {name}" for name in relations
    )


def rename_a_quarantine_column(project: Project) -> None:
    model = project.project_dir / QUARANTINE_MODEL
    column = "        line_encoding,\n"
    assert column in model.read_text()
    model.write_text(model.read_text().replace(column, "        line_encoding as encoding,\n"))


def versions_during(steps: list[Step], start: float, end: float, relation: str) -> set[int]:
    """Counts the relation had in any version current at some moment of [start, end]: the
    version after step i is current from step i's start (its commit may come at any time
    in the step) to the end of step i+1."""
    found = set()
    for index, step in enumerate(steps):
        valid_until = steps[index + 1].end if index + 1 < len(steps) else float("inf")
        if step.start <= end and start <= valid_until and relation in step.counts:
            found.add(step.counts[relation])
    return found


def sql_rounds(project: Project, relations: list[str], until: threading.Event) -> list[dict]:
    """`weblogs sql` in a new process per round: every relation's count in one query, and
    every column of the table whose columns change."""
    union = counting_query(relations)
    observations = []
    while not until.is_set():
        started = time.time()
        counted = project.weblogs("sql", union, "--format", "json", check=False)
        wide = project.weblogs(
            "sql", "select * from weblogs.access_log_quarantine limit 1", check=False
        )
        ended = time.time()
        for result in (counted, wide):
            if result.returncode != 0:
                observations.append(
                    {"relation": "(sql)", "reader": "sql", "start": started, "end": ended,
                     "error": result.stderr.strip()[-300:]}
                )  # fmt: skip
        if counted.returncode == 0:
            for row in map(json.loads, counted.stdout.splitlines()):
                observations.append(
                    {"relation": row["name"], "reader": "sql", "start": started, "end": ended,
                     "rows": row["n"]}
                )  # fmt: skip
    return observations


@pytest.mark.e2e
def test_readers_see_the_old_or_the_new_version_through_builds(
    project_copy: Project, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    project = project_copy
    project.weblogs("ingest", str(write_log(logs / "a.log", 400, seed=31)))
    project.weblogs("build", "--vars", LOW_COVERAGE)
    third = write_log(logs / "c.log", 400, seed=33)
    project.weblogs("ingest", str(write_log(logs / "b.log", 400, seed=32)))

    def build(*args: str) -> object:
        return project.weblogs("build", "--vars", LOW_COVERAGE, *args)

    changes: list[tuple[str, Callable[[], object]]] = [
        ("incremental build", build),
        ("ingest", lambda: project.weblogs("ingest", str(third))),
        ("full refresh", lambda: build("--full-refresh")),
        ("columns change", lambda: (
            rename_a_quarantine_column(project),
            build("--full-refresh", "--select", "access_log_quarantine"),
        )),
    ]  # fmt: skip
    steps = [Step("before", start=float("-inf"), end=float("-inf"), counts=current_counts(project))]
    relations = sorted(name for name in steps[0].counts if not name.endswith(".run_log"))

    out, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(project.warehouse), str(out), str(stop)],
        env=project.env(), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Let the reader finish a round first, so every change happens under its queries.
        deadline = time.monotonic() + 300
        while not out.exists() or len(out.read_text().splitlines()) < 3 * len(relations):
            assert reader.poll() is None, reader.stderr.read()
            assert time.monotonic() < deadline, "the reader did not finish a round"
            time.sleep(0.5)
        done = threading.Event()
        sql_reads: list[dict] = []
        sql_reader = threading.Thread(
            target=lambda: sql_reads.extend(sql_rounds(project, relations, done))
        )
        sql_reader.start()
        for name, change in changes:
            step = Step(name, start=time.time())
            change()
            step.end = time.time()
            step.counts = current_counts(project)
            steps.append(step)
        done.set()
        sql_reader.join()
    finally:
        stop.touch()
        reader.wait(timeout=300)
    assert reader.returncode == 0, reader.stderr.read()

    reads = [json.loads(line) for line in out.read_text().splitlines()] + sql_reads
    during = [read for read in reads if read["end"] >= steps[1].start]
    errors = [read for read in during if "error" in read]
    assert errors == [], errors[:5]
    wrong = [
        {**read, "versions": sorted(versions_during(steps, read["start"], read["end"], name))}
        for read in during
        if (name := read["relation"]) in steps[0].counts
        and read["rows"] not in versions_during(steps, read["start"], read["end"], name)
    ]
    assert wrong == [], wrong[:5]
    readers = {read["reader"] for read in during}
    assert readers == {"delta", "session", "fresh", "sql"}
    # Each reader kept reading through every change.
    for step in steps[1:]:
        assert any(read["start"] < step.end and read["end"] > step.start for read in during)
    # The counts did change: the readers saw more than one version of the marts.
    seen = {read["rows"] for read in during if read["relation"] == "weblogs.network_filter"}
    assert len(seen) >= 2, seen
