"""Incremental marts: after batches with replays, late data and a changed seed, every table
holds exactly what a full rebuild makes of the same input."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_pipeline import LOW_COVERAGE, checksums, scalar_rows

from conftest import Project
from weblogs.generate import write_log

# Every table the build writes from bronze, with a full row comparison.
TABLES = (
    "weblogs.stg_apache_logs__lines",
    "weblogs.int_access_requests_deduplicated",
    "weblogs.int_request_tallies_by_batch",
    "weblogs.access_log_quarantine",
    "weblogs.network_filter",
    "weblogs.requests_by_status",
    "weblogs.requests_by_agent",
    "weblogs.visitors_by_day",
    "weblogs.referring_sites",
    "weblogs.not_found_paths",
)
SEED = Path("seeds") / "http_status_codes.csv"


def table_digests(project: Project) -> dict[str, tuple[int, int]]:
    return checksums(project, TABLES)


def land_and_build(project: Project, *logs: Path) -> None:
    project.weblogs("ingest", *map(str, logs), "--settle-seconds", "0")
    project.weblogs("build", "--vars", LOW_COVERAGE)


@pytest.mark.e2e
def test_incremental_marts_equal_a_full_rebuild_through_replays_late_data_and_a_new_seed(
    project_copy: Project, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    first = write_log(logs / "access.log.2", 600, seed=21)
    land_and_build(project_copy, first)

    # A rotated file overlapping the first by its last 100 lines, plus new lines.
    overlap = logs / "access.log.1"
    overlap.write_text(
        "".join(first.read_text().splitlines(keepends=True)[-100:])
        + "".join(write_log(logs / "new.log", 300, seed=22).read_text())
    )
    land_and_build(project_copy, overlap)
    network_filter_before_late = scalar_rows(
        project_copy, "select count(*) as n from weblogs.network_filter"
    )[0]["n"]

    # Late data (events years older than anything stored) and a code the seed lacks.
    late = logs / "late.log"
    late.write_text(
        '10.0.0.9 - - [01/Jan/1990:00:00:00 +0000] "GET /old.gif HTTP/1.0" 200 500\n'
        '10.0.0.9 - - [01/Jan/1990:00:00:01 +0000] "GET /odd HTTP/1.0" 299 500\n'
    )
    land_and_build(project_copy, late)
    assert (
        scalar_rows(project_copy, "select count(*) as n from weblogs.network_filter")[0]["n"]
        == network_filter_before_late + 1
    )

    # The same late file again, renamed: bronze gets nothing, the marts stay.
    replay = logs / "late-copy.log"
    replay.write_bytes(late.read_bytes())
    incremental = table_digests(project_copy)
    land_and_build(project_copy, replay)
    assert table_digests(project_copy) == incremental

    project_copy.weblogs("build", "--vars", LOW_COVERAGE, "--full-refresh")
    assert table_digests(project_copy) == incremental

    # The seed renames status 200: the incremental build takes every request in again.
    seed = project_copy.project_dir / SEED
    seed.write_text(seed.read_text().replace("200,OK,", "200,Fine,"))
    project_copy.weblogs("build", "--vars", LOW_COVERAGE)
    assert scalar_rows(
        project_copy,
        "select distinct status_description from weblogs.network_filter",
    ) == [{"status_description": "Fine"}]
    renamed = table_digests(project_copy)
    project_copy.weblogs("build", "--vars", LOW_COVERAGE, "--full-refresh")
    assert table_digests(project_copy) == renamed

    # A batch not yet tested, its network_filter rows spoiled between its run and its tests:
    # the comparison, scoped to that batch, reports the changed row and the missing one.
    from deltalake import DeltaTable

    later = write_log(logs / "later.log", 200, seed=23, start=datetime(2031, 1, 1, tzinfo=UTC))
    project_copy.weblogs("ingest", str(later), "--settle-seconds", "0")
    project_copy.dbt("run", "--vars", LOW_COVERAGE)
    spoiled, removed = (
        row["request_id"]
        for row in scalar_rows(
            project_copy,
            "select request_id from weblogs.network_filter"
            " where event_date >= date'2031-01-01' order by request_id limit 2",
        )
    )
    network_filter = DeltaTable(str(project_copy.warehouse / "weblogs" / "network_filter"))
    network_filter.update(
        predicate=f"request_id = X'{spoiled}'", updates={"status_description": "'Spoiled'"}
    )
    network_filter.delete(f"request_id = X'{removed}'")
    tested = project_copy.dbt(
        "test", "--select", "assert_network_filter_holds_the_qualifying_requests",
        "--vars", LOW_COVERAGE, check=False,
    )  # fmt: skip
    assert tested.returncode == 1 and "Got 2 results" in tested.stdout
    # Scoped: it read the rows from the oldest date of the batches after the tested mark.
    assert re.search(r"where ingest_batch_id > \d+\), date'9999-12-31'\)", project_copy.dbt_log())
