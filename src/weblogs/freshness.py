"""Source freshness as `dbt source freshness` judges it, read straight from the Delta tables.

dbt declares it on the two tables of the raw layer (models/staging/apache_logs/): bronze is
as fresh as its newest `ingested_at`, the ledger as its newest `recorded_at`, and either
warns or fails past the thresholds of dbt_project.yml. `weblogs status` and the report show
the same verdicts without starting the engine, so they are computed here from the tables'
files with the thresholds read from the project's vars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from weblogs.bronze.base import RAW_TABLE
from weblogs.bronze.delta import ledger_table_path, raw_table_path
from weblogs.ingest.ledger import LEDGER_TABLE

WARN_VAR = "source_freshness_warn_after_minutes"
ERROR_VAR = "source_freshness_error_after_minutes"
# The raw-layer tables dbt checks, each with its loaded_at_field.
CHECKED = ((RAW_TABLE, "ingested_at"), (LEDGER_TABLE, "recorded_at"))


@dataclass(frozen=True)
class Thresholds:
    warn_after_minutes: float
    error_after_minutes: float

    def judge(self, age_seconds: float | None) -> str:
        """pass, warn or error, as dbt: past a threshold means strictly older than it; a
        table without rows is infinitely old."""
        if age_seconds is None or age_seconds > self.error_after_minutes * 60:
            return "error"
        if age_seconds > self.warn_after_minutes * 60:
            return "warn"
        return "pass"


@dataclass(frozen=True)
class Freshness:
    table: str
    loaded_at_field: str
    newest: datetime | None
    age_seconds: float | None
    status: str


def project_thresholds(project_dir: Path) -> Thresholds:
    """The thresholds dbt uses unless --vars says otherwise: the vars of dbt_project.yml."""
    import yaml

    path = project_dir / "dbt_project.yml"
    variables = yaml.safe_load(path.read_text(encoding="utf-8")).get("vars", {})
    try:
        return Thresholds(float(variables[WARN_VAR]), float(variables[ERROR_VAR]))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: vars {WARN_VAR} and {ERROR_VAR} must be numbers") from error


def newest_value(location: Path, column: str) -> datetime | None:
    """The largest value of a timestamp column of a Delta table (None: no table, no rows)."""
    import pyarrow.compute as pc
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        dataset = DeltaTable(str(location)).to_pyarrow_dataset()
    except TableNotFoundError:
        return None
    # Read on this thread: a scan's worker threads still alive when the interpreter exits
    # abort it ("terminate called without an active exception"), after the output.
    newest = pc.max(dataset.to_table(columns=[column], use_threads=False).column(0)).as_py()
    if newest is not None and newest.tzinfo is None:  # written as UTC without a zone
        newest = newest.replace(tzinfo=UTC)
    return newest


def measure(
    warehouse: Path, raw_schema: str, thresholds: Thresholds, now: datetime | None = None
) -> list[Freshness]:
    """Bronze's and the ledger's freshness, judged by the thresholds."""
    now = now or datetime.now(UTC)
    locations = {
        RAW_TABLE: raw_table_path(warehouse, raw_schema),
        LEDGER_TABLE: ledger_table_path(warehouse, raw_schema),
    }
    found = []
    for table, column in CHECKED:
        newest = newest_value(locations[table], column)
        age = (now - newest).total_seconds() if newest else None
        found.append(Freshness(f"{raw_schema}.{table}", column, newest, age, thresholds.judge(age)))
    return found
