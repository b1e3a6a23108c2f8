"""The bad-input corpus, end to end: every line of every case ends parsed or quarantined
with its precise reason, exactly as tests/fixtures/bad_input/expectations.yml says."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from deltalake import DeltaTable

from conftest import PROJECT_DIR, Project

CORPUS = PROJECT_DIR / "tests" / "fixtures" / "bad_input"
EXPECTATIONS = CORPUS / "expectations.yml"
# The corpus holds status codes the seed lacks on purpose (299, 999, 000).
CORPUS_VARS = "{status_code_coverage_threshold: 0.5}"


@dataclass(frozen=True)
class Case:
    name: str
    lines: list[dict]
    encodings: list[str]
    damaged: bool = False

    @property
    def path(self) -> Path:
        return CORPUS / self.name


def load_cases() -> list[Case]:
    cases = []
    for name, spec in yaml.safe_load(EXPECTATIONS.read_text(encoding="utf-8")).items():
        if isinstance(spec, dict) and "damaged" in spec:
            count = spec["damaged"]["complete_lines"]
            lines = [spec["damaged"]["each"]] * count
            cases.append(Case(name, lines, ["utf-8"] * count, damaged=True))
            continue
        lines = spec["lines"] if isinstance(spec, dict) else spec
        encoding = spec.get("encoding", "utf-8") if isinstance(spec, dict) else "utf-8"
        encodings = encoding if isinstance(encoding, list) else [encoding] * len(lines)
        cases.append(Case(name, lines, encodings))
    return cases


def file_lines(path: Path) -> list[bytes]:
    """The lines of a file as a reader of logs sees them: LF or CRLF ends a line. Of a
    truncated archive, the complete lines that decompress before the damage."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
        if not _is_whole_gzip(path):
            data = data[: data.rfind(b"\n") + 1]
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [line.removesuffix(b"\r") for line in lines]


def _is_whole_gzip(path: Path) -> bool:
    try:
        gzip.decompress(path.read_bytes())
    except EOFError:
        return False
    return True


def line_id(site: str, occurrence: int, text: str) -> bytes:
    """unhex(sha2(site || ':' || occurrence || ':' || line)) as the staging model computes it."""
    return hashlib.sha256(f"{site}:{occurrence}:{text}".encode()).digest()


def delta_rows(path: Path) -> list[dict]:
    return DeltaTable(str(path)).to_pyarrow_table().to_pylist()


def test_every_corpus_file_has_expectations() -> None:
    files = {path.name for path in CORPUS.iterdir() if path.name != EXPECTATIONS.name}
    assert files == {case.name for case in load_cases()}
    for case in load_cases():
        assert len(case.lines) == len(file_lines(case.path)), case.name
        assert len(case.encodings) == len(case.lines), case.name
        for expected in case.lines:
            assert expected.keys() <= {"parsed", "quarantined"} and len(expected) == 1


@pytest.mark.e2e
def test_bad_input_corpus_end_to_end(project: Project) -> None:
    cases = load_cases()

    # One ingest and one build for the whole corpus. The truncated archive is reported by
    # name (exit status 1) and its complete lines land with the other files'.
    ingested = project.weblogs(
        "ingest", "--settle-seconds", "0", *(str(case.path) for case in cases), check=False
    )
    assert ingested.returncode == 1, ingested.stdout + ingested.stderr
    problems = [line for line in ingested.stdout.splitlines() if "problem:" in line]
    assert [name for name in (case.name for case in cases if case.damaged)] == [
        name for name in (case.name for case in cases) if any(name in p for p in problems)
    ]
    assert len(problems) == 1
    # Everything is built; the only failures are the drift monitors, which a corpus of bad
    # input must trip.
    build = project.dbt("build", "--vars", CORPUS_VARS, check=False)
    assert build.returncode == 1, build.stdout
    results = project.run_results()
    not_passed = {
        result["unique_id"].split(".")[2]: result["status"]
        for result in results
        if result["status"] not in ("pass", "success")
    }
    assert not_passed == {"data_quality_monitors_within_thresholds": "fail"}
    # Every monitor past its fail threshold, each named in the build's output. (Daily volume:
    # its newest complete day, 2019-12-31, has 3 requests and the week before it none.)
    for monitor in (
        "quarantine_rate",
        "unregistered_status_share",
        "new_methods",
        "new_protocols",
        "daily_volume_change",
    ):
        assert f"fail {monitor} " in build.stdout, monitor

    monitors = {
        row["monitor_name"]: row
        for row in delta_rows(project.warehouse / "weblogs" / "data_quality_monitors")
    }
    assert monitors["new_methods"]["explanation"] == (
        "methods never seen before: -, BREW, FOOBAR, PROPFIND, get"
    )
    assert monitors["unregistered_status_share"]["explanation"].endswith("lacks: 0, 299, 999")
    assert monitors["daily_volume_change"]["explanation"] == (
        "3 requests on 2019-12-31 against a daily average of 0.0 over the 7 day(s) before"
    )

    bronze = delta_rows(project.warehouse / "weblogs_raw" / "access_log_lines")
    requests = {
        row["request_id"]: row
        for row in delta_rows(project.warehouse / "weblogs" / "int_access_requests_deduplicated")
    }
    quarantine = {
        row["line_id"]: row
        for row in delta_rows(project.warehouse / "weblogs" / "access_log_quarantine")
    }
    by_file: dict[str, list[dict]] = {}
    for row in bronze:
        by_file.setdefault(Path(row["source_file"]).name, []).append(row)

    checked = 0
    for case in cases:
        rows = sorted(by_file.get(case.name, []), key=lambda row: row["line_number"])
        originals = file_lines(case.path)
        # Nothing lost, nothing invented: one bronze row per line of the file.
        assert [row["line_number"] for row in rows] == list(range(1, len(originals) + 1))
        parsed = quarantined = 0
        for row, original, expected, encoding in zip(
            rows, originals, case.lines, case.encodings, strict=True
        ):
            where = f"{case.name} line {row['line_number']}"
            assert row["line_encoding"] == encoding, where
            assert row["line"].encode(encoding) == original, where
            identity = line_id(row["site"], row["line_occurrence"], row["line"])
            # Exactly one home per line.
            assert (identity in requests) != (identity in quarantine), where
            if "parsed" in expected:
                assert identity in requests, f"{where}: expected parsed, got {quarantine}"
                request = requests[identity]
                for column, value in (expected["parsed"] or {}).items():
                    assert request[column] == value, f"{where}: {column}"
                parsed += 1
            else:
                assert identity in quarantine, f"{where}: expected quarantined, it parsed"
                assert quarantine[identity]["quarantine_reason"] == expected["quarantined"], where
                assert quarantine[identity]["line"] == row["line"], where
                quarantined += 1
            checked += 1
        assert parsed + quarantined == len(originals) == len(rows), case.name

    assert checked == len(bronze)
    # Across the corpus: the distinct lines are exactly the requests plus the quarantine.
    distinct = {line_id(row["site"], row["line_occurrence"], row["line"]) for row in bronze}
    assert distinct == requests.keys() | quarantine.keys()
    assert not requests.keys() & quarantine.keys()
