"""`weblogs run` names a mistyped option of its own, and a run that goes on says so between
cycles."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from weblogs.cli.main import main
from weblogs.ingest.micro_batches import IngestResult
from weblogs.runner import Runner


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("--landng", "--landing"), ("--evry", "--every"), ("--compact-evry", "--compact-every")],
)
def test_a_mistyped_option_of_run_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], typed: str, meant: str
) -> None:
    """`weblogs run --landng DIR` said "no such landing folder: .../landing": the typo went
    to dbt's arguments and the default folder was looked for."""
    landing = tmp_path / "incoming"
    landing.mkdir()
    code = main(["--warehouse", str(tmp_path / "warehouse"), "run", typed, str(landing)])
    error = capsys.readouterr().err
    assert code == 2
    assert error == (
        f"weblogs: weblogs run has no option {typed}: did you mean {meant}? "
        f"(dbt build does not take {typed} either)\n"
    )
    assert not (tmp_path / "warehouse").exists()


def test_a_dbt_option_close_to_one_of_ours_still_goes_to_dbt(tmp_path: Path) -> None:
    """--target-path is dbt build's own, however close to --target: no typo to name."""
    from weblogs.cli.main import near_misses, parse_arguments

    options = parse_arguments(["build", "--target-path", "elsewhere", "--fail-fast"])
    assert near_misses(options) == {}


def test_every_says_when_a_cycle_found_nothing_new(tmp_path: Path) -> None:
    """`weblogs run --every 5m` printed nothing between cycles: alive or stuck looked alike."""
    said: list[str] = []
    runner = Runner(
        landing=tmp_path, warehouse=tmp_path / "warehouse", raw_schema="raw",
        build=lambda: True, say=said.append,
    )  # fmt: skip
    report = runner.run_every(0.01, max_cycles=3)
    assert report.cycles == 3
    # Between the three cycles, two lines; none after the last.
    assert len(said) == 2, said
    assert all(line.startswith(f"nothing new in {tmp_path}; next look at ") for line in said)
    assert all(line.endswith(" UTC") for line in said)


def test_every_follows_a_cycle_that_overran_with_one_cycle_not_a_burst(tmp_path: Path) -> None:
    """A cycle longer than the interval is followed by one cycle at once, then the interval
    again: each missed interval used to run a cycle, back to back."""
    started: list[float] = []
    first_ended = 0.0
    runner = Runner(
        landing=tmp_path, warehouse=tmp_path / "warehouse", raw_schema="raw",
        build=lambda: True, say=lambda line: None,
    )  # fmt: skip

    def cycle() -> IngestResult:
        nonlocal first_ended
        started.append(time.monotonic())
        runner.report.cycles += 1
        if len(started) == 1:
            time.sleep(1.0)  # five intervals
            first_ended = time.monotonic()
        return IngestResult()

    runner.cycle = cycle
    runner.run_every(0.2, max_cycles=4)
    # The second cycle at once, then one an interval after another (at least: a wait may
    # end late, never early).
    assert started[2] >= first_ended + 0.2
    assert started[3] >= first_ended + 0.4


def test_dbt_run_by_weblogs_is_told_not_to_colour_a_file_or_pipe(monkeypatch, tmp_path) -> None:
    """dbt's colour codes landed in `weblogs build > build.log`; a terminal keeps them, and a
    user's own $DBT_USE_COLORS wins."""
    import io

    from weblogs.cli import dbt

    # A copy of the environment: dbt_environment also points dbt at a warehouse.
    monkeypatch.setattr(os, "environ", dict(os.environ))
    os.environ.pop("DBT_USE_COLORS", None)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    dbt.dbt_environment(tmp_path)
    assert os.environ["DBT_USE_COLORS"] == "false"

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    del os.environ["DBT_USE_COLORS"]
    monkeypatch.setattr("sys.stdout", Terminal())
    dbt.dbt_environment(tmp_path)
    assert "DBT_USE_COLORS" not in os.environ
    os.environ["DBT_USE_COLORS"] = "true"
    monkeypatch.setattr("sys.stdout", io.StringIO())
    dbt.dbt_environment(tmp_path)
    assert os.environ["DBT_USE_COLORS"] == "true"


@pytest.mark.parametrize(
    ("name", "unit"), [("WEBLOGS_RESIDENT_MAX_MIB", " of MiB"), ("WEBLOGS_RESIDENT_MAX_BUILDS", "")]
)
@pytest.mark.parametrize("value", ["1.5G", "0", "-3"])
def test_a_bad_limit_of_the_resident_child_is_refused_first(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch,
    value: str,
    name: str,
    unit: str,
) -> None:
    """$WEBLOGS_RESIDENT_MAX_MIB and $WEBLOGS_RESIDENT_MAX_BUILDS bound the dbt child of a
    run that goes on: a value they cannot take is said before anything lands."""
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.log").write_text("not a log line\n")
    monkeypatch.setenv(name, value)
    code = main(["--warehouse", str(tmp_path / "warehouse"), "run", "--landing", str(landing)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"weblogs: ${name} must be a whole number{unit}, not {value!r}\n"
    )
    assert not (tmp_path / "warehouse" / "weblogs_raw").exists()


def test_rest_within_is_for_watch_and_a_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--rest-within bounds how long --watch leaves the rest of the project behind the
    build_first paths; given to another trigger, or not as a duration, it is refused in one
    line before anything lands."""
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.log").write_text("not a log line\n")
    warehouse = ["--warehouse", str(tmp_path / "warehouse")]
    code = main(
        [*warehouse, "run", "--landing", str(landing), "--every", "5m", "--rest-within", "1m"]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        "weblogs: --rest-within is for --watch: other triggers build the whole project\n"
    )
    code = main([*warehouse, "run", "--landing", str(landing), "--watch", "--rest-within", "0"])
    assert code == 2
    error = capsys.readouterr().err
    assert "--rest-within: not a duration: '0'" in error and "Traceback" not in error, error
    assert not (tmp_path / "warehouse" / "weblogs_raw").exists()
