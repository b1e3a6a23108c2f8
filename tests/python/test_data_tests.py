"""The project's own dbt tests fail when they should: schema drift, broken join keys, lines
lost between bronze and the tables that place them, values off their pattern."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_pipeline import scalar_rows

from conftest import Project

SEED = Path("seeds") / "http_status_codes.csv"
# Generated logs hold a few malformed lines on purpose: monitors only warn.
BUILD_VARS = "{dq_monitor_severity: warn}"
SEED_YML = Path("seeds") / "_seeds.yml"


@pytest.mark.e2e
def test_schema_drift_names_each_added_missing_and_retyped_column(project_copy: Project) -> None:
    seed = project_copy.project_dir / SEED
    rows = [line.split(",") for line in seed.read_text().splitlines()]
    # Drop status_class, add a column, and let code be read as an integer.
    seed.write_text("".join(f"{code},{description},x\n" for code, description, _ in rows))
    seed.write_text(seed.read_text().replace("code,description,x", "code,description,extra", 1))
    seed_yml = project_copy.project_dir / SEED_YML
    seed_yml.write_text(seed_yml.read_text().replace("code: string", "code: int", 1))

    project_copy.dbt("seed")
    result = project_copy.dbt(
        "test", "--select", "columns_match_declared_http_status_codes_", check=False
    )

    assert result.returncode != 0
    assert "Got 3 results" in result.stdout
    for message in (
        "column status_class missing (declared string, found nothing)",
        "column extra added (declared nothing, found string)",
        "column code retyped (declared string, found int)",
    ):
        assert message in result.stdout


@pytest.mark.e2e
def test_join_keys_fail_on_uncastable_codes_and_low_coverage(
    project_copy: Project, tmp_path: Path
) -> None:
    seed = project_copy.project_dir / SEED
    seed.write_text(seed.read_text() + "2x9,Not a number,2xx\n")
    log = tmp_path / "access.log"
    log.write_text(
        '10.0.0.1 - - [01/Aug/1995:00:00:01 -0400] "GET /a HTTP/1.0" 200 1000\n'
        '10.0.0.2 - - [01/Aug/1995:00:00:02 -0400] "GET /b HTTP/1.0" 299 1000\n'
    )
    project_copy.weblogs("ingest", str(log))
    project_copy.dbt("seed")
    project_copy.dbt("run", "--select", "+int_access_requests_deduplicated")
    result = project_copy.dbt("test", "--select", "test_name:join_keys_match", check=False)

    assert result.returncode != 0
    join_test_line = next(
        line for line in result.stdout.splitlines() if "join_keys_match" in line and "FAIL" in line
    )
    # One uncastable seed code ("2x9") and coverage of 1 in 2 below the 0.99 threshold.
    assert "FAIL 2" in join_test_line


@pytest.mark.e2e
def test_seed_with_added_column_duplicated_code_and_null_description_fails_naming_them(
    project_copy: Project,
) -> None:
    seed = project_copy.project_dir / SEED
    lines = seed.read_text().splitlines()
    # A column added; code 404 listed twice; a code without a description.
    lines = [f"{line},x" for line in lines]
    lines[0] = lines[0].replace(",x", ",reason_phrase")
    lines.append(next(line for line in lines if line.startswith("404,")))
    lines.append("299,,2xx,x")
    seed.write_text("\n".join(lines) + "\n")

    project_copy.dbt("seed")
    result = project_copy.dbt("test", "--select", "http_status_codes", check=False)

    assert result.returncode != 0
    assert "column reason_phrase added (declared nothing, found string)" in result.stdout
    assert failed_tests(result.stdout) == {
        "columns_match_declared_http_status_codes_",
        "http_status_codes_row_checks",
    }
    # One query checks the seed's rows; each check that failed is named, with its count.
    assert "Got 2 results" in result.stdout
    assert "http_status_codes_row_checks: not_null(description) failed on 1 row" in result.stdout
    assert "http_status_codes_row_checks: unique(code) failed on 1 row" in result.stdout
    assert "matches_pattern(code) failed" not in result.stdout


@pytest.mark.e2e
def test_raw_schema_drift_and_incremental_column_change_fail_loudly(
    project_copy: Project, tmp_path: Path
) -> None:
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    log = tmp_path / "access.log"
    log.write_text('10.0.0.1 - - [01/Aug/1995:00:00:01 -0400] "GET /a HTTP/1.0" 200 1000\n')
    project_copy.weblogs("ingest", str(log))
    project_copy.dbt("build", "--vars", "{dq_monitor_severity: warn}")

    # A model that gains a column: on_schema_change 'fail' stops the merge, naming it.
    model = (
        project_copy.project_dir
        / "models"
        / "intermediate"
        / ("int_access_requests_deduplicated.sql")
    )
    model.write_text(
        model.read_text().replace(
            "        line_id as request_id,",
            "        line_id as request_id,\n        1 as extra_flag,",
        )
    )
    result = project_copy.dbt("run", "--select", "int_access_requests_deduplicated", check=False)
    assert result.returncode != 0
    assert "out of sync" in result.stdout and "extra_flag" in result.stdout

    # The bronze table changes under the pipeline: a column dropped, one added, one retyped.
    bronze = project_copy.warehouse / "weblogs_raw" / "access_log_lines"
    table = DeltaTable(str(bronze)).to_pyarrow_table()
    table = table.drop_columns(["line_encoding"]).append_column(
        "unexpected_column", pa.array(["x"] * table.num_rows)
    )
    table = table.set_column(
        table.schema.get_field_index("line_number"),
        "line_number",
        table.column("line_number").cast(pa.int32()),
    )
    write_deltalake(str(bronze), table, mode="overwrite", schema_mode="overwrite")
    result = project_copy.dbt(
        "test", "--select", "source:apache_logs,test_name:columns_match_declared", check=False
    )
    assert result.returncode != 0
    for message in (
        "column line_encoding missing (declared string, found nothing)",
        "column unexpected_column added (declared nothing, found string)",
        "column line_number retyped (declared bigint, found int)",
    ):
        assert message in result.stdout


def failed_tests(output: str) -> set[str]:
    return {
        line.split(" FAIL ")[1].split()[1]
        for line in output.splitlines()
        if " FAIL " in line and "START" not in line
    }


def bronze_rows_like_batch(project: Project, batch: int, **changes: object):
    """The rows of a bronze batch, as a new batch or in place, with some columns changed."""
    import pyarrow as pa
    from deltalake import DeltaTable

    from weblogs.bronze.delta import raw_table_path

    table = DeltaTable(str(raw_table_path(project.warehouse, "weblogs_raw"))).to_pyarrow_table()
    rows = table.filter(pa.compute.equal(table.column("ingest_batch_id"), batch))
    for name, value in changes.items():
        index = rows.schema.get_field_index(name)
        rows = rows.set_column(index, rows.schema.field(index), pa.array([value] * rows.num_rows))
    return rows


@pytest.mark.e2e
def test_tests_read_new_batches_yet_fail_on_a_bad_one_and_the_full_check_reads_all(
    project: Project, tmp_path: Path
) -> None:
    from deltalake import write_deltalake

    from weblogs.bronze.delta import raw_table_path
    from weblogs.generate import write_log

    bronze = str(raw_table_path(project.warehouse, "weblogs_raw"))
    for seed in (41, 42):
        project.weblogs("ingest", str(write_log(tmp_path / f"{seed}.log", 300, seed=seed)))
        project.weblogs("build", "--vars", BUILD_VARS)
    # Two batches built: the start of the second case below too, copied, not built again.
    project2 = tmp_path / "second"
    fresh = Project(warehouse=project2 / "warehouse", workdir=project2 / "work")
    fresh.workdir.mkdir(parents=True)
    shutil.copytree(project.warehouse, fresh.warehouse)
    # Scoped: the tests of this build read batch 3 only.
    project.weblogs("ingest", str(write_log(tmp_path / "43.log", 300, seed=43)))
    project.weblogs("build", "--vars", BUILD_VARS)
    log = project.dbt_log()
    assert "ingest_batch_id > 2" in log and "event_date >= coalesce((select min(event_date)" in log

    # A bad batch (an encoding ingest never writes) fails its build, and every build after
    # it while it is there: the tested mark does not move past it.
    bad_batch = bronze_rows_like_batch(project, 3, ingest_batch_id=4, line_encoding="utf-16")
    write_deltalake(bronze, bad_batch, mode="append")
    for _ in range(2):
        bad = project.weblogs("build", "--vars", BUILD_VARS, check=False)
        assert bad.returncode == 1
        assert failed_tests(bad.stdout) == {"source_access_log_lines_row_checks"}
        assert "accepted_values(line_encoding) failed on 300 rows" in bad.stdout

    # The same fault in an old batch, rewritten in place: a normal build reads new batches
    # only and passes; the full check reads every row and fails.
    fresh_bronze = str(raw_table_path(fresh.warehouse, "weblogs_raw"))
    rewritten = bronze_rows_like_batch(fresh, 1, line_encoding="utf-16")
    write_deltalake(fresh_bronze, rewritten, mode="overwrite", predicate="ingest_batch_id = 1")
    assert fresh.weblogs("build", "--vars", BUILD_VARS).returncode == 0
    full = fresh.weblogs("build", "--vars", "{full_check: true, dq_monitor_severity: warn}",
                         check=False)  # fmt: skip
    assert full.returncode == 1
    assert "source_access_log_lines_row_checks" in failed_tests(full.stdout)
    assert "accepted_values(line_encoding) failed on 300 rows" in full.stdout


@pytest.mark.e2e
def test_reconciliation_names_lines_placed_never_twice_or_not_from_bronze(
    project: Project, tmp_path: Path
) -> None:
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    log = tmp_path / "access.log"
    log.write_text(
        '10.0.0.1 - - [01/Aug/1995:00:00:01 -0400] "GET /a HTTP/1.0" 200 1000\n'
        '10.0.0.2 - - [01/Aug/1995:00:00:02 -0400] "GET /b HTTP/1.0" 200 1000\n'
        "not a request at all\n"
    )
    project.weblogs("ingest", str(log))
    project.dbt("seed")
    project.dbt("run")
    test = "assert_every_raw_line_parsed_or_quarantined"
    assert project.dbt("test", "--select", test).returncode == 0

    models = project.warehouse / "weblogs"
    requests = DeltaTable(str(models / "int_access_requests_deduplicated"))
    never = requests.to_pyarrow_table().column("request_id")[0].as_py()
    requests.delete(f"request_id = X'{never.hex()}'")
    quarantine = models / "access_log_quarantine"
    quarantined = DeltaTable(str(quarantine)).to_pyarrow_table()
    assert quarantined.num_rows == 1
    stranger = quarantined.set_column(
        quarantined.schema.get_field_index("line_id"),
        quarantined.schema.field("line_id"),
        pa.array([b"\xff" * 32], quarantined.schema.field("line_id").type),
    )
    # The quarantined line a second time, and a line bronze never had.
    write_deltalake(str(quarantine), pa.concat_tables([quarantined, stranger]), mode="append")

    result = project.dbt("test", "--select", test, check=False)
    assert result.returncode == 1
    assert "Got 3 results" in result.stdout


@pytest.mark.e2e
def test_a_repeated_key_fails_the_row_checks_among_the_rows_they_read(
    project: Project, tmp_path: Path
) -> None:
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    for batch in (1, 2):
        log = tmp_path / f"batch{batch}.log"
        log.write_text(
            f'10.0.0.{batch} - - [0{batch}/Aug/1995:00:00:01 -0400] "GET /a HTTP/1.0" 200 1000\n'
            f'10.0.0.{batch} - - [0{batch}/Aug/1995:00:00:02 -0400] "GET /b HTTP/1.0" 404 10\n'
        )
        project.weblogs("ingest", str(log))
        if batch == 1:
            # Every test passes on batch 1: later tests, with the same vars, read later
            # batches only.
            project.dbt("build")
    project.dbt("run", "--select", "+int_request_tallies_by_batch")
    counts = project.warehouse / "weblogs" / "int_request_tallies_by_batch"
    stored = DeltaTable(str(counts)).to_pyarrow_table()
    assert stored.num_rows == 4
    select = ("test", "--select", "int_request_tallies_by_batch,test_name:row_checks")

    def row_like(batch: int, code: int) -> pa.Table:
        return stored.filter(
            pa.compute.and_(
                pa.compute.equal(stored.column("ingest_batch_id"), batch),
                pa.compute.equal(stored.column("response_code"), code),
            )
        )

    # Batch 2 again with a code it lacks: each column repeats, the combination does not.
    other_code = row_like(2, 200)
    other_code = other_code.set_column(
        other_code.schema.get_field_index("response_code"),
        other_code.schema.field("response_code"),
        pa.array([500], other_code.schema.field("response_code").type),
    )
    write_deltalake(str(counts), other_code, mode="append")
    assert project.dbt(*select).returncode == 0

    # A repeated key in batch 1, which every test passed on: the scoped test does not
    # read it (the key includes the batch, so no new row can repeat it); the full check does.
    write_deltalake(str(counts), row_like(1, 404), mode="append")
    assert project.dbt(*select).returncode == 0
    # A repeated key among the new rows fails the scoped test.
    write_deltalake(str(counts), row_like(2, 200), mode="append")
    scoped = project.dbt(*select, check=False)
    assert scoped.returncode == 1
    assert failed_tests(scoped.stdout) == {"int_request_tallies_by_batch_row_checks"}
    key = (
        "unique_combination(ingest_batch_id, response_code, event_date, http_method,"
        " protocol_label)"
    )
    assert f"{key} failed on 1 row\n" in scoped.stdout
    full = project.dbt(*select, "--vars", "{full_check: true}", check=False)
    assert full.returncode == 1
    assert f"{key} failed on 2 rows" in full.stdout


def compiled_test(project: Project, name: str) -> str:
    """The SQL of a singular test as dbt last compiled it."""
    (path,) = (project.workdir / "target" / "compiled").glob(f"*/tests/{name}.sql")
    return path.read_text(encoding="utf-8")


@pytest.mark.e2e
def test_per_batch_reconciliation_counts_replays_and_fails_on_a_line_lost_after_staging(
    project: Project, tmp_path: Path
) -> None:
    """Bronze's lines of a batch = its requests + its quarantined lines + its replays, read
    from bronze and the two tables that place the lines: a request lost between staging and
    its table, which staging alone cannot see, fails it."""
    from deltalake import DeltaTable

    request = '10.0.0.{0} - - [01/Aug/1995:00:00:0{0} -0400] "GET /{0} HTTP/1.0" 200 1000\n'
    (tmp_path / "a.log").write_text(request.format(1) + request.format(2) + "garbage one\n")
    project.weblogs("ingest", str(tmp_path / "a.log"))
    # Batch 2: a request and a bad line batch 1 placed (replays), a request twice (one copy
    # a replay), and a new request.
    (tmp_path / "b.log").write_text(request.format(3) + request.format(1) + "garbage one\n")
    (tmp_path / "c.log").write_text(request.format(3) + request.format(4))
    project.weblogs("ingest", str(tmp_path / "b.log"), str(tmp_path / "c.log"))
    project.dbt("build", "--vars", BUILD_VARS)

    test = "assert_raw_lines_equal_parsed_plus_quarantined_per_batch"
    full_check = "{full_check: true, dq_monitor_severity: warn}"
    assert project.dbt("test", "--select", test, "--vars", full_check).returncode == 0
    requests = DeltaTable(str(project.warehouse / "weblogs" / "int_access_requests_deduplicated"))
    assert requests.to_pyarrow_table().num_rows == 4
    requests.delete("endpoint = '/4'")

    result = project.dbt("test", "--select", test, "--vars", full_check, check=False)
    assert result.returncode == 1
    assert "Got 1 result" in result.stdout
    rows = scalar_rows(project, compiled_test(project, test))
    assert rows == [
        {"ingest_batch_id": 2, "raw_line_count": 5, "parsed_line_count": 1,
         "quarantined_line_count": 0, "replayed_line_count": 3},
    ]  # fmt: skip


@pytest.mark.e2e
def test_row_count_matches_fails_when_staging_lost_a_bronze_line(
    project: Project, tmp_path: Path
) -> None:
    from deltalake import DeltaTable

    from weblogs.generate import write_log

    project.weblogs("ingest", str(write_log(tmp_path / "access.log", 200, seed=8)))
    project.dbt("build", "--vars", BUILD_VARS)
    DeltaTable(str(project.warehouse / "weblogs" / "stg_apache_logs__lines")).delete(
        "line_number = 17"
    )
    # Every row, not only the batches after the tested mark.
    result = project.dbt(
        "test", "--select", "test_name:row_count_matches", "--vars", "{full_check: true}",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    (failed,) = failed_tests(result.stdout)
    assert failed.startswith("row_count_matches_stg_apache_logs__lines_")
    assert "Got 1 result" in result.stdout


@pytest.mark.e2e
def test_matches_pattern_fails_on_a_code_that_is_not_three_digits(project_copy: Project) -> None:
    seed = project_copy.project_dir / SEED
    seed.write_text(seed.read_text() + "2000,Four digits,2xx\n40x,Not a code,4xx\n")
    project_copy.dbt("seed")
    result = project_copy.dbt("test", "--select", "http_status_codes_row_checks", check=False)
    assert result.returncode == 1
    assert failed_tests(result.stdout) == {"http_status_codes_row_checks"}
    assert "Got 1 result" in result.stdout
    assert "http_status_codes_row_checks: matches_pattern(code) failed on 2 rows" in result.stdout
