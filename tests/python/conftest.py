"""Shared fixtures: the project, the real sample log, and runners in fresh processes.

Under CI (`$CI` set, as .ci/run does) no test may skip: what a test needs (the real log, a
browser, permission to mount) is missing only when CI failed to provide it, and a skip would
let a green run claim tests that never ran. So there every skip is reported as a failure,
with its reason."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent

# The real sample log: elastic/examples' `Common Data Formats/apache_logs/apache_logs`,
# beside the repository in ../shared, or wherever $WEBLOGS_REAL_LOG names (.ci/run fetches
# it into a cache and points there when ../shared is missing).
REAL_LOG_ENV = "WEBLOGS_REAL_LOG"
REAL_LOG_SHA256 = "f15c31e905f86c7b4b6ab44aee74d0a2086dce89f010187d983edea7ef0364ef"
SHARED_LOG = Path(
    os.environ.get(REAL_LOG_ENV)
    or PROJECT_DIR.parent / "shared" / "data" / "elastic_apache_logs" / "apache_logs"
)

# The lab's own pattern. On the sample log every line it misses has a "-" size.
LAB_PATTERN = re.compile(r'(\S+) (\S+) (\S+) \[(.*?)\] "(\S+) (\S+) (\S+)" (\d{3}) (\d+)')


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Under CI a skip is a failure that keeps its reason."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"under CI no test may skip: {str(reason).removeprefix('Skipped: ')}"


@functools.cache
def real_log_problem() -> str | None:
    """Why the real sample log cannot be used (missing, or not the pinned file), or None."""
    how = (
        f"put elastic/examples' apache_logs there (../shared/data/elastic_apache_logs/) or "
        f"name it in ${REAL_LOG_ENV}; .ci/run fetches it"
    )
    if not SHARED_LOG.is_file():
        return f"the real sample log is not at {SHARED_LOG}: {how}"
    digest = hashlib.sha256(SHARED_LOG.read_bytes()).hexdigest()
    if digest != REAL_LOG_SHA256:
        return f"{SHARED_LOG} is not the real sample log (sha256 {digest}): {how}"
    return None


def require_real_log() -> Path:
    """The real sample log; a skip (a failure under CI) naming what is missing."""
    problem = real_log_problem()
    if problem:
        pytest.skip(problem)
    return SHARED_LOG


@pytest.fixture(scope="session", params=["shared", "generated"])
def sample_log(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Apache log from ../shared, and a generated one of 10,000 lines (with
    malformed lines, replays, IPv6 and host names)."""
    if request.param == "shared":
        return require_real_log()
    from weblogs.generate import write_log

    return write_log(tmp_path_factory.mktemp("logs") / "access.log", 10_000, seed=7)


@dataclass
class Project:
    """The dbt project run against its own warehouse, each command in a new process."""

    warehouse: Path
    workdir: Path
    project_dir: Path = PROJECT_DIR
    # Seconds a command may take before the test fails.
    timeout: float = 600

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "WEBLOGS_WAREHOUSE": str(self.warehouse),
            "DBT_PROFILES_DIR": str(self.project_dir / "profiles"),
            "DBT_PROJECT_DIR": str(self.project_dir),
            "DBT_TARGET_PATH": str(self.workdir / "target"),
            "DBT_LOG_PATH": str(self.workdir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # A command that crashes (SIGABRT, SIGSEGV) prints where each thread was, so
            # the failing test shows it.
            "PYTHONFAULTHANDLER": "1",
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            args, cwd=self.workdir, env=self.env(), capture_output=True, text=True,
            timeout=self.timeout,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(BIN_DIR / "dbt"), *args, check=check)

    def weblogs(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(BIN_DIR / "weblogs"), *args, check=check)

    def dbt_log(self) -> str:
        return (self.workdir / "logs" / "dbt.log").read_text(encoding="utf-8")

    def run_results(self) -> list[dict]:
        """The node results of the last dbt invocation, in the order the nodes finished."""
        path = self.workdir / "target" / "run_results.json"
        return json.loads(path.read_text(encoding="utf-8"))["results"]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    workdir = tmp_path / "work"
    workdir.mkdir()
    return Project(warehouse=tmp_path / "warehouse", workdir=workdir)


def copy_of_project(copy: Path) -> Path:
    """A copy of the dbt project's files at `copy`, free to be broken or changed."""
    shutil.copytree(
        PROJECT_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "target", "logs", "warehouse", "demo", "python", "src", "*.lock"
        ),
    )
    return copy


@pytest.fixture
def project_copy(tmp_path: Path) -> Project:
    """A scratch copy of the dbt project, free to be broken or changed."""
    copy = copy_of_project(tmp_path / "project")
    workdir = tmp_path / "work"
    workdir.mkdir()
    return Project(warehouse=tmp_path / "warehouse", workdir=workdir, project_dir=copy)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """dbt's adapter suite (test_adapter_suite_*.py, adapter_suite.py): on a module's engine
    (SUITE_ENGINE) a class marked engine_gap for it is a strict expected failure, so a gap
    that closes fails the run. First, so that `-m` selects on these marks."""
    for item in items:
        engine = getattr(item.module, "SUITE_ENGINE", None)
        if engine is None:
            continue
        for mark in item.iter_markers("engine_gap"):
            if mark.kwargs["engine"] == engine:
                reason = f"{engine}: {mark.kwargs['gap']}"
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
