"""The target dbt runs is the one asked for, or an error; dbt's own errors reach the user."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator

import pytest

from conftest import BIN_DIR, Project
from weblogs.spark import server as spark_server


@pytest.fixture
def no_spark_server(monkeypatch) -> int:
    port = spark_server.free_port()
    monkeypatch.setenv(spark_server.PORT_ENV, str(port))
    return port


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "spark", "build"],
        ["build", "--target", "spark"],
        ["build", "-t", "spark"],
        ["build", "--select", "network_filter", "--target=spark"],
        ["run", "--target", "spark"],
        ["sql", "select 1", "--target", "spark"],
    ],
)
def test_spark_without_a_server_is_one_line_not_a_build_on_local(
    project: Project, no_spark_server: int, args: list[str]
) -> None:
    (project.workdir / "landing").mkdir()
    result = project.weblogs(*args, check=False)
    assert result.returncode == 2
    assert result.stderr == (
        f"weblogs: no Spark Connect server at sc://127.0.0.1:{no_spark_server}: "
        "start one with `weblogs spark-server start`\n"
    )
    assert result.stdout == ""
    assert not project.warehouse.exists() or not (project.warehouse / "weblogs").exists()


@pytest.mark.parametrize(
    "args",
    [["build", "--target", "nosuch"], ["build", "-t", "nosuch"], ["--target", "nosuch", "status"]],
)
def test_an_unknown_target_lists_the_targets(project: Project, args: list[str]) -> None:
    result = project.weblogs(*args, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("weblogs: no target 'nosuch' in the weblogs profile")
    assert result.stderr.endswith("; targets: local, spark, databricks\n")


def test_conflicting_targets_are_refused(project: Project) -> None:
    result = project.weblogs("--target", "local", "build", "-t", "spark", check=False)
    assert (result.returncode, result.stderr) == (
        2,
        "weblogs: two targets asked for: --target local and dbt's -t spark\n",
    )


def test_a_dbt_usage_error_is_printed(project: Project) -> None:
    result = project.weblogs("build", "--bogus", check=False)
    assert result.returncode == 2
    assert result.stderr == (
        "weblogs: dbt: No such option '--bogus'. (`dbt build --help` lists its options)\n"
    )


@pytest.mark.parametrize(
    ("flags", "refusal"),
    [
        # (--evry, close to run's own --every, is named as a typo of it: test_run_arguments.)
        (["--slect", "network_filter"], "No such option '--slect'."),
        (["--threads", "two"], "Invalid value for '--threads': 'two' is not a valid integer."),
    ],
)
def test_run_refuses_a_dbt_flag_before_it_lands_anything(
    project: Project, flags: list[str], refusal: str
) -> None:
    """dbt would see the flag only after the batch landed (or never, with nothing new)."""
    landing = project.workdir / "landing"
    landing.mkdir()
    (landing / "access.log").write_text(
        '1.2.3.4 - - [01/Jan/2016:00:00:01 +0000] "GET / HTTP/1.1" 200 512\n'
    )
    result = project.weblogs("run", "--landing", str(landing), *flags, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"weblogs: dbt: {refusal}")
    assert result.stderr.endswith(" (`dbt build --help` lists its options)\n")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert not (project.warehouse / "weblogs_raw").exists()


def test_run_takes_the_dbt_flags_dbt_takes_from_any_folder(project: Project) -> None:
    """Checked as its build would run them: from a folder without profiles.yml, with no
    DBT_PROFILES_DIR set, as a user runs it."""
    landing = project.workdir / "landing"
    landing.mkdir()
    env = {
        name: value
        for name, value in project.env().items()
        if name not in ("DBT_PROFILES_DIR", "DBT_PROJECT_DIR")
    }
    result = subprocess.run(
        [str(BIN_DIR / "weblogs"), "run", "--landing", str(landing), "--select", "network_filter+",
         "--vars", "{dq_monitor_severity: warn}"],
        cwd=project.workdir, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert "run: 1 cycle(s), 0 batch(es)" in result.stdout


@pytest.fixture
def listening_port(monkeypatch) -> Iterator[int]:
    """Something listening where the spark target connects, so weblogs lets dbt start."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        monkeypatch.setenv(spark_server.PORT_ENV, str(port))
        yield port


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "adapter"),
    [
        (["build", "--target", "spark"], "spark_connect"),
        (["build", "-t", "spark"], "spark_connect"),
        (["build"], "sail_delta"),
    ],
)
def test_dbt_runs_the_target_asked_for(
    project: Project, listening_port: int, args: list[str], adapter: str
) -> None:
    # Selecting nothing, dbt parses the project for the target and connects nowhere.
    result = project.weblogs(*args, "--select", "no_such_model")
    assert f"Registered adapter: {adapter}=" in result.stdout
    assert "Nothing to do" in result.stdout
