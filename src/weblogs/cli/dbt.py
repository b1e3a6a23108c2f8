"""Running dbt for a command: in this process, or as a child process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from weblogs import engine, spark_server
from weblogs.cli.targets import PROJECT_DIR, Target, check_credentials


def dbt_environment(warehouse: Path) -> None:
    """Point dbt at this project's profiles and the chosen warehouse (and at the Spark
    Connect server started for it, unless $WEBLOGS_SPARK_HOST/PORT say otherwise)."""
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    os.environ.setdefault("DBT_PROJECT_DIR", str(PROJECT_DIR))
    os.environ[engine.WAREHOUSE_ENV] = str(warehouse)
    host, port = spark_server.configured_address(warehouse)
    os.environ.setdefault(spark_server.HOST_ENV, host)
    os.environ.setdefault(spark_server.PORT_ENV, str(port))


def invoke_dbt(args: list[str], warehouse: Path, target: Target):  # dbt's dbtRunnerResult
    """Run dbt in this process, so it shares the embedded engine with the caller."""
    from dbt.cli.main import dbtRunner

    check_credentials(target)
    dbt_environment(warehouse)
    return dbtRunner().invoke([*args, "--target", target.name])


def run_dbt(args: list[str], warehouse: Path, target: Target) -> int:
    return 0 if invoke_dbt(args, warehouse, target).success else 1


def run_dbt_process(args: list[str], warehouse: Path, target: Target) -> int:
    """Run dbt in a child process: memory is returned after every build of a long-running
    `weblogs run` (in process it grew by about 18 MB per build), and the child has its own
    session, so a Ctrl-C meant for the run does not abort the build in progress."""
    import subprocess

    check_credentials(target)
    dbt_environment(warehouse)
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), *args, "--target", target.name]
    return subprocess.run(command, start_new_session=True).returncode


def compiled_analyses(names: tuple[str, ...], warehouse: Path, target: Target) -> dict[str, str]:
    """SQL of dbt analyses, compiled for the current target."""
    result = invoke_dbt(["--log-level", "none", "compile", "--select", *names], warehouse, target)
    if not result.success:
        raise RuntimeError(f"dbt compile of {', '.join(names)} failed")
    return {run.node.name: run.node.compiled_code for run in result.result.results}
