"""The dbt targets of the project's profile, and what each one's engine can do.

This is the one module that knows the engines by name. Everything else asks a `Target`:
whether its engine runs inside the process or on a server, how bronze is written, whether
its dbt invocations record the build state, which session to open, which Delta tables
`status` and `compact` reach. dbt's adapters answer such questions the same way
(`Capability` flags read through `adapter.supports`), so dbt-core never compares names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from weblogs.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from weblogs.bronze.base import Bronze
    from weblogs.compaction import TableCompaction

PROJECT_DIR = Path(__file__).resolve().parents[2]
TARGET_ENV = "WEBLOGS_TARGET"
# The dbt profile of the project (dbt_project.yml).
PROFILE = "weblogs"


@dataclass(frozen=True)
class Engine:
    """What weblogs can do with the engine behind one dbt adapter type."""

    adapter: str
    # How a message names it.
    label: str
    # Runs inside each weblogs process (no server to start or reach).
    embedded: bool = False
    # Reached through a Spark Connect server that must be listening (`weblogs spark-server`).
    server: bool = False
    # `weblogs ingest` and `weblogs run` write its bronze table and ledger.
    lands_files: bool = False
    # Its Delta tables are files in the warehouse folder that weblogs reads directly, without
    # the engine: freshness, the report, row counts, compaction by delta-rs.
    tables_in_warehouse: bool = False
    # weblogs reaches its Delta tables, through the engine or the warehouse folder (`status`,
    # `compact`, `sql`).
    tables_reachable: bool = False
    # Its dbt invocations record the build state in the warehouse folder (on-run-end hooks of
    # the project's adapters), which `weblogs status` and `weblogs run` read.
    records_build_state: bool = False
    # weblogs can tell without dbt that a build has nothing to do (weblogs.build.up_to_date).
    knows_when_up_to_date: bool = False
    # A long backlog can be built in slices of batches, one dbt invocation each.
    builds_in_slices: bool = False
    # The dbt include folders whose macros a build on it reads (the project's fingerprint).
    dbt_includes: tuple[str, ...] = ()
    # Environment variables its profile needs.
    credentials: tuple[str, ...] = ()


ENGINES = {
    engine.adapter: engine
    for engine in (
        Engine(
            adapter="sail_delta",
            label="the embedded engine (Sail)",
            embedded=True,
            lands_files=True,
            tables_in_warehouse=True,
            tables_reachable=True,
            records_build_state=True,
            knows_when_up_to_date=True,
            builds_in_slices=True,
            dbt_includes=("sail_delta", "session_functions"),
        ),
        Engine(
            adapter="spark_connect",
            label="Apache Spark (Spark Connect)",
            server=True,
            lands_files=True,
            tables_reachable=True,
            records_build_state=True,
            dbt_includes=("spark_connect", "session_functions"),
        ),
        Engine(
            adapter="databricks",
            label="Databricks",
            credentials=("DATABRICKS_HOST", "DATABRICKS_HTTP_PATH", "DATABRICKS_TOKEN"),
        ),
    )
}


class DeltaTables(Protocol):
    """The Delta tables of a target as `weblogs status` and `weblogs compact` see them."""

    # Where they are, for a message: "in /path/to/warehouse", "on the Spark server".
    where: str

    def names(self, schemas: list[str]) -> list[str]:
        """schema.table of every Delta table of these schemas."""

    def row_count(self, schema: str, table: str) -> int | None:
        """Rows of a table; None when it does not exist."""

    def compact(self, tables: list[str], *, retain_hours: float) -> list[TableCompaction]:
        """Compact these tables (schema.table) and vacuum files no retained version needs."""


@dataclass(frozen=True)
class Target:
    """A dbt target of the project's profile: its name, adapter type and models' schema, and
    whether it is the profile's own default."""

    name: str
    type: str
    schema: str = "weblogs"
    is_default: bool = False

    @property
    def engine(self) -> Engine:
        """What the target's engine can do; an adapter type weblogs does not know can do
        nothing but be built through dbt."""
        return ENGINES.get(self.type) or Engine(adapter=self.type, label=self.type)

    def describe(self) -> str:
        return f"target {self.name} ({self.engine.label})"

    def require(self, capability: str, command: str, *, what: str = "") -> None:
        """Refuse `weblogs <command>` in one line on an engine that lacks `capability`."""
        if getattr(self.engine, capability):
            return
        able = [e.label for e in ENGINES.values() if getattr(e, capability)]
        raise UsageError(
            f"weblogs {command} works {what or 'on ' + ' and '.join(able)}; "
            f"target {self.name} is {self.engine.label}"
        )

    def check_ready(self, warehouse: Path) -> None:
        """Refuse in one line, before dbt starts, a target it could not reach: missing
        credentials, or no server listening."""
        missing = [name for name in self.engine.credentials if not os.environ.get(name)]
        if missing:
            raise UsageError(
                f"target {self.name} needs {self.engine.label} credentials: set "
                f"{', '.join(missing)}"
            )
        if self.engine.server:
            from weblogs.spark import server

            server.reachable_address(warehouse)

    def session(self, warehouse: Path) -> SparkSession:
        """A Spark session on the target's engine: embedded Sail, or the Spark Connect server."""
        if self.engine.embedded:
            try:
                import pysail  # noqa: F401
            except ImportError:
                raise UsageError(
                    "the embedded engine (pysail) is not installed: run `make setup`"
                ) from None
            from weblogs.embedded import engine

            return engine.spark_session(warehouse)
        if self.engine.server:
            from weblogs.spark import server

            return server.session(warehouse)
        raise UsageError(
            f"{self.describe()} is reached through dbt only: "
            f"use `weblogs build --target {self.name}` or `dbt show --target {self.name}`"
        )

    def refresh_catalog(self, spark: SparkSession, warehouse: Path) -> bool:
        """Bring a session's catalog up to date with tables made since it opened; False
        where the engine keeps its own catalog and there is nothing to refresh."""
        if not self.engine.embedded:
            return False
        from weblogs.embedded import catalog

        catalog.refresh(spark, warehouse)
        return True

    def bronze(self, warehouse: Path, raw_schema: str, *, create: bool = True) -> Bronze:
        """The writer (and reader) of the target's bronze table and ledger: Delta in the
        warehouse folder, or Delta tables of the Spark Connect server. `create` makes them
        where missing (a reader such as `weblogs status` does not)."""
        if self.engine.tables_in_warehouse:
            from weblogs.bronze.delta import DeltaBronze

            return DeltaBronze(warehouse, raw_schema)
        if self.engine.lands_files:
            from weblogs.bronze.spark import SparkBronze

            return SparkBronze(self.session(warehouse), raw_schema, create=create)
        if self.engine.credentials:
            raise UsageError(
                f"on {self.engine.label} the bronze table is a streaming table reading the "
                f"landing volume: copy the files there and run `weblogs build --target "
                f"{self.name}`"
            )
        raise UsageError(f"weblogs does not land files for {self.describe()}")

    def tables(self, warehouse: Path, command: str) -> DeltaTables:
        """The target's Delta tables, for `weblogs status` and `weblogs compact`."""
        self.require("tables_reachable", command)
        if self.engine.tables_in_warehouse:
            from weblogs.compaction import WarehouseTables

            return WarehouseTables(warehouse)
        from weblogs.spark.tables import SparkTables

        return SparkTables(self.session(warehouse))


def profiles_path() -> Path:
    folder = os.environ.get("DBT_PROFILES_DIR") or str(PROJECT_DIR / "profiles")
    return Path(folder) / "profiles.yml"


def resolve_target(name: str | None) -> Target:
    """The named target (else $WEBLOGS_TARGET, else the profile's default) from the profile."""
    import yaml

    path = profiles_path()
    try:
        profile = yaml.safe_load(path.read_text(encoding="utf-8"))[PROFILE]
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
