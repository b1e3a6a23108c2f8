"""The dbt targets of the project's profile, and what a command needs to reach one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from weblogs import engine, spark_server
from weblogs.cli.errors import UsageError

PROJECT_DIR = Path(__file__).resolve().parents[3]
TARGET_ENV = "WEBLOGS_TARGET"
DATABRICKS_ENV = ("DATABRICKS_HOST", "DATABRICKS_HTTP_PATH", "DATABRICKS_TOKEN")


@dataclass(frozen=True)
class Target:
    """A dbt target of the project's profile: its name, adapter type and models' schema, and
    whether it is the profile's own default."""

    name: str
    type: str
    schema: str = "weblogs"
    is_default: bool = False


def profiles_path() -> Path:
    folder = os.environ.get("DBT_PROFILES_DIR") or str(PROJECT_DIR / "profiles")
    return Path(folder) / "profiles.yml"


def resolve_target(name: str | None) -> Target:
    """The named target (else $WEBLOGS_TARGET, else the profile's default) from the profile."""
    import yaml

    path = profiles_path()
    try:
        profile = yaml.safe_load(path.read_text(encoding="utf-8"))["weblogs"]
        outputs = profile["outputs"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
        raise UsageError(f"cannot read the weblogs profile from {path}: {error}") from None
    default = profile.get("target", "local")
    chosen = name or os.environ.get(TARGET_ENV) or default
    if chosen not in outputs:
        raise UsageError(
            f"no target {chosen!r} in the weblogs profile ({path}); targets: {', '.join(outputs)}"
        )
    output = outputs[chosen]
    return Target(
        name=chosen, type=str(output.get("type", "")), schema=str(output.get("schema", "weblogs")),
        is_default=chosen == default,
    )  # fmt: skip


def check_credentials(target: Target) -> None:
    if target.type == "databricks":
        missing = [name for name in DATABRICKS_ENV if not os.environ.get(name)]
        if missing:
            raise UsageError(
                f"target {target.name} needs Databricks credentials: set {', '.join(missing)}"
            )


def check_ready(target: Target, warehouse: Path) -> None:
    """Refuse in one line, before dbt starts, a target it could not reach."""
    check_credentials(target)
    if target.type == "spark_connect":
        spark_server.reachable_address(warehouse)


def session(warehouse: Path, target: Target):  # a pyspark SparkSession
    """A Spark session on the target's engine: embedded Sail or the Spark Connect server."""
    if target.type == "sail_delta":
        try:
            import pysail  # noqa: F401
        except ImportError:
            raise UsageError(
                "the embedded engine (pysail) is not installed: run `make setup`"
            ) from None
        return engine.spark_session(warehouse)
    if target.type == "spark_connect":
        return spark_server.session(warehouse)
    raise UsageError(
        f"target {target.name} ({target.type}) is reached through dbt only: "
        f"use `weblogs build --target {target.name}` or `dbt show --target {target.name}`"
    )


def require_embedded(target: Target, command: str) -> None:
    if target.type != "sail_delta":
        raise UsageError(
            f"weblogs {command} works on the embedded engine's Delta tables; "
            f"target {target.name} is {target.type}"
        )


def require_delta_target(target: Target, command: str) -> None:
    """The targets whose Delta tables weblogs reaches: the embedded engine's, and those of
    the Spark Connect server."""
    if target.type not in ("sail_delta", "spark_connect"):
        raise UsageError(
            f"weblogs {command} works on the local and spark targets' Delta tables; "
            f"target {target.name} is {target.type}"
        )
